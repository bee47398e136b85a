using System.Buffers.Binary;
using System.Text;
using VaeCf.Persistence;

namespace VaeCf.Tests;

/// <summary>Strict header validation, non-finite refusal and chunked I/O of <see cref="SafeTensors"/>.</summary>
public class SafeTensorsTests
{
    private static string TempFile(string name = "t.safetensors") => Path.Combine(Directory.CreateTempSubdirectory("vaecf-st-").FullName, name);

    /// <summary>A file of an arbitrary header and <paramref name="dataBytes"/> zero bytes of data.</summary>
    private static string FileWithHeader(string json, int dataBytes, ulong? declaredLength = null)
    {
        string path = TempFile();
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Refused(string path)
    {
        var error = Assert.Throws<VaeCfException>(() => SafeTensors.Read(path));
        Assert.StartsWith(path + ":", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        return error.Message;
    }

    [Fact]
    public void SmallChunksCrossBoundariesAndGiveTheSameFileAndValues()
    {
        // 10 and 7 floats in chunks of 3 floats: boundaries inside and across tensors.
        var tensors = new List<NamedTensor>
        {
            new("a", [2, 5], Enumerable.Range(0, 10).Select(i => i * 1.5f - 4).ToArray()),
            new("empty", [3, 0], []),
            new("b", [7], Enumerable.Range(0, 7).Select(i => MathF.Sqrt(i + 0.25f)).ToArray()),
            new("scalar", [], [42f]),
        };
        string whole = TempFile("whole.safetensors"), chunked = TempFile("chunked.safetensors");
        string wholeHash = SafeTensors.Write(whole, tensors);
        string chunkedHash = SafeTensors.Write(chunked, tensors, null, chunkBytes: 12);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(chunked));
        Assert.Equal(wholeHash, chunkedHash);
        Assert.Equal(SafeTensors.Sha256(whole), wholeHash);

        foreach (int chunk in new[] { 4, 12, 20, SafeTensors.DefaultChunkBytes })
        {
            var read = SafeTensors.Read(chunked, expectedSha256: wholeHash, chunkBytes: chunk);
            Assert.Equal(wholeHash, read.Sha256);
            Assert.Null(SafeTensors.Read(chunked, chunkBytes: chunk).Sha256); // not asked for, not computed
            foreach (var t in tensors)
            {
                Assert.Equal(t.Shape, read.Tensors[t.Name].Shape);
                Assert.Equal(t.Data, read.Tensors[t.Name].Data);
            }
        }
        var streamed = new List<float>();
        var starts = new List<long>();
        SafeTensors.ReadChunks(chunked, "a", (first, values) => { starts.Add(first); streamed.AddRange(values.ToArray()); }, chunkBytes: 12);
        Assert.Equal([0, 3, 6, 9], starts);
        Assert.Equal(tensors[0].Data, streamed);
    }

    [Fact]
    public void ExpectedChecksumIsVerified()
    {
        string path = TempFile();
        string sha = SafeTensors.Write(path, [new NamedTensor("w", [4], [1, 2, 3, 4])]);
        Assert.Equal(sha, SafeTensors.Read(path, expectedSha256: sha.ToUpperInvariant()).Sha256);
        // A flipped mantissa bit keeps the value finite: only the checksum notices.
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("SHA-256", Assert.Throws<VaeCfException>(() => SafeTensors.Read(path, expectedSha256: sha)).Message);
        // A flip that makes a NaN is reported as the checksum mismatch it is, when the checksum is known.
        bytes[^1] = 0x7F; bytes[^2] = 0xC0;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("SHA-256", Assert.Throws<VaeCfException>(() => SafeTensors.Read(path, expectedSha256: sha)).Message);
        Assert.Contains("non-finite", Refused(path));
    }

    [Theory]
    [InlineData(float.NaN, 0, "NaN")]
    [InlineData(float.PositiveInfinity, 9, "+Infinity")]
    [InlineData(float.NegativeInfinity, 5, "-Infinity")]
    public void NonFiniteValuesAreRefusedWithTensorAndIndex(float bad, int index, string shown)
    {
        string path = TempFile();
        var values = Enumerable.Range(0, 10).Select(i => (float)i).ToArray();
        values[index] = bad;
        if (index != 9) values[9] = float.NaN; // only the first is reported
        SafeTensors.Write(path, [new NamedTensor("fine", [2], [1, 2]), new NamedTensor("layers.0.weight", [2, 5], values)]);
        foreach (int chunk in new[] { 8, SafeTensors.DefaultChunkBytes })
        {
            var error = Assert.Throws<VaeCfException>(() => SafeTensors.Read(path, chunkBytes: chunk));
            Assert.Contains("'layers.0.weight'", error.Message);
            Assert.Contains($"at flat index {index}", error.Message);
            Assert.Contains(shown, error.Message);
        }
    }

    [Fact]
    public void NonFiniteSearchFindsTheFirstBadValueAtEveryPosition()
    {
        var values = new float[301];
        Assert.Equal(-1, SafeTensors.IndexOfNonFinite(values));
        for (int i = 0; i < values.Length; i += 7)
        {
            Array.Clear(values);
            values[i] = i % 2 == 0 ? float.NaN : float.NegativeInfinity;
            values[^1] = float.PositiveInfinity;
            Assert.Equal(i, SafeTensors.IndexOfNonFinite(values));
        }
        Assert.Equal(-1, SafeTensors.IndexOfNonFinite([float.MaxValue, float.MinValue, float.Epsilon, -0f]));
    }

    // Each row: a header, the data bytes behind it, and a fragment the one-line error must carry.
    [Theory]
    [InlineData("[]", 0, "JSON array; expected an object")]
    [InlineData("\"x\"", 0, "JSON string; expected an object")]
    [InlineData("{\"a\":null}", 0, "'a' is a JSON null")]
    [InlineData("{\"a\":[1]}", 0, "'a' is a JSON array")]
    [InlineData("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'dtype' is missing")]
    [InlineData("{\"a\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'dtype' is a JSON number")]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "dtype F16; only F32")]
    [InlineData("{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'Q7' is not a safetensors dtype")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "'shape' is missing")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":\"4\",\"data_offsets\":[0,4]}}", 4, "'shape' is a JSON string")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4, "shape[0] is a JSON string")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape[0] is -1")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "shape[0] is not an integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e30],\"data_offsets\":[0,4]}}", 4, "shape[0] is not an integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967297],\"data_offsets\":[0,4]}}", 4, "shape[0] is 4,294,967,297")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}}", 4, "needs more bytes than")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4, "begin is -4")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "run backwards")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8, "an array of 3")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0-4\"}}", 4, "'data_offsets' is a JSON string")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "span 8 bytes; shape [1] of F32 needs 4")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 2, "needs more bytes than the file's 2-byte data section")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,4]}}", 2, "end 4 is past the 2-byte data section")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "overlap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "leaving a gap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12, "extra bytes after the last tensor")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"crc\":1}}", 4, "unexpected field 'crc'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "names 'a' twice")]
    [InlineData("{\"__metadata__\":{\"format\":1}}", 0, "field 'format' is a JSON number; expected a string")]
    [InlineData("{\"__metadata__\":[\"x\"]}", 0, "__metadata__ is a JSON array")]
    [InlineData("{\"__metadata__\":null}", 0, "__metadata__ is a JSON null")]
    [InlineData("{\"a\":", 0, "not valid UTF-8 JSON")]
    [InlineData("{\"a\":{}} x", 0, "not valid UTF-8 JSON")]
    [InlineData("{\"a\"\n:{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, "needs more bytes than the file's 0-byte data section")]
    [InlineData("{\"line\\nbreak\":null}", 0, "'line\\nbreak' is a JSON null")]
    public void MalformedHeadersAreRefusedInOneLine(string json, int dataBytes, string expected)
    {
        string message = Refused(FileWithHeader(json, dataBytes));
        Assert.Contains(expected, message);
        Assert.Throws<VaeCfException>(() => SafeTensors.ReadHeader(FileWithHeader(json, dataBytes)));
    }

    [Fact]
    public void InvalidUtf8InAFieldNameIsRefused()
    {
        // Found by the property tests: JsonDocument only notices bad UTF-8 in a name when it is read.
        string path = FileWithHeader("{\"a\":null}", 0);
        var bytes = File.ReadAllBytes(path);
        bytes[10] = 0x99;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("not valid UTF-8", Refused(path));
    }

    [Fact]
    public void ValidEdgeCasesAreAccepted()
    {
        // Trailing space padding, empty tensors anywhere (begin == end), a scalar, no tensors at all.
        var read = SafeTensors.Read(FileWithHeader(
            "{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"__metadata__\":{}}   ", 4));
        Assert.Empty(read.Tensors["e"].Data);
        Assert.Equal([0f], read.Tensors["s"].Data);
        Assert.Empty(SafeTensors.Read(FileWithHeader("{}", 0)).Tensors);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "too short")]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 }, "header length is 0")]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B, 0x7D }, "over the 100,000,000-byte limit")]
    [InlineData(new byte[] { 0x00, 0xE1, 0xF5, 0x05, 0, 0, 0, 0, 0x7B, 0x7D }, "past the end of the 10-byte file")]
    public void BadHeaderLengthsAreRefused(byte[] bytes, string expected)
    {
        string path = TempFile();
        File.WriteAllBytes(path, bytes);
        Assert.Contains(expected, Refused(path));
    }

    [Fact]
    public void MissingOrUnreadableFileIsAUserError()
    {
        string path = TempFile("absent.safetensors");
        Assert.Contains("does not exist", Assert.Throws<VaeCfException>(() => SafeTensors.Read(path)).Message);
    }

    [Fact]
    public void ShapeHelpersCompareAgainstTheConfig()
    {
        var tensors = new Dictionary<string, NamedTensor> { ["w"] = new("w", [2, 3], new float[6]), ["b"] = new("b", [3], new float[3]) };
        Assert.Same(tensors["w"], SafeTensors.Expect(tensors, "m.safetensors", "w", 2, 3));
        Assert.Contains("has shape [2, 3], expected [3, 2]", Assert.Throws<VaeCfException>(() => SafeTensors.Expect(tensors, "m.safetensors", "w", 3, 2)).Message);
        Assert.Contains("'x' is missing", Assert.Throws<VaeCfException>(() => SafeTensors.Expect(tensors, "m.safetensors", "x", 1)).Message);
        SafeTensors.ExpectExactly(tensors, "m.safetensors", [("w", [2, 3]), ("b", [3])]);
        Assert.Contains("unexpected tensor 'b'", Assert.Throws<VaeCfException>(() => SafeTensors.ExpectExactly(tensors, "m.safetensors", [("w", [2, 3])])).Message);
    }

    /// <summary>
    /// A 2.16 GB tensor (more bytes than a span can hold) in a sparse file: its header is written, the
    /// data is a hole the file system reads as zeros, so the test needs neither 2 GB of disk nor of
    /// memory. The streamed read crosses the 2^31-byte mark, finds a tensor stored after it, and names a
    /// NaN past it by its 64-bit index.
    /// </summary>
    [Fact]
    public void TensorOverTwoGigabytesStreamsFromASparseFile()
    {
        const long bigCount = 540_000_000; // 2.16e9 bytes > 2^31
        string path = TempFile("big.safetensors");
        string json = $$$"""{"big":{"dtype":"F32","shape":[18000,30000],"data_offsets":[0,{{{bigCount * 4}}}]},"tail":{"dtype":"F32","shape":[3],"data_offsets":[{{{bigCount * 4}}},{{{bigCount * 4 + 12}}}]}}""";
        var header = Encoding.UTF8.GetBytes(json);
        long dataStart = 8 + header.Length;
        using (var stream = new FileStream(path, FileMode.CreateNew))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            stream.SetLength(dataStart + bigCount * 4 + 12); // the hole
            stream.Position = dataStart + bigCount * 4;
            foreach (float v in new[] { 1.5f, -2f, 3.25f }) stream.Write(BitConverter.GetBytes(v));
        }

        var parsed = SafeTensors.ReadHeader(path);
        Assert.Equal([18000, 30000], parsed.Find("big")!.Shape);
        Assert.Equal(bigCount * 4, parsed.Find("tail")!.Begin);
        var tail = new List<float>();
        SafeTensors.ReadChunks(path, "tail", (_, values) => tail.AddRange(values.ToArray()));
        Assert.Equal([1.5f, -2f, 3.25f], tail);

        // One pass over the big tensor (the slow part: 2 GB through the kernel): zeros in order,
        // chunk by chunk, up to a NaN past the 2^31-byte mark, which is named by its 64-bit index.
        const long nanIndex = 536_870_917; // byte 2,147,483,668 of the tensor
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Position = dataStart + nanIndex * 4;
            stream.Write(BitConverter.GetBytes(float.NaN));
        }
        long seen = 0;
        bool allZero = true;
        var error = Assert.Throws<VaeCfException>(() => SafeTensors.ReadChunks(path, "big", (first, values) =>
        {
            Assert.Equal(seen, first);
            seen += values.Length;
            allZero &= values.IndexOfAnyExcept(0f) < 0;
        }));
        Assert.True(allZero);
        long chunkFloats = SafeTensors.DefaultChunkBytes / 4;
        Assert.Equal(nanIndex / chunkFloats * chunkFloats, seen); // every chunk before the NaN's was delivered
        Assert.Contains("'big'", error.Message);
        Assert.Contains("flat index 536,870,917", error.Message);
        File.Delete(path);
    }
}
