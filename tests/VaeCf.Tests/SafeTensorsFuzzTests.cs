using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using VaeCf.Persistence;

namespace VaeCf.Tests;

/// <summary>
/// Property tests of the safetensors reader with CsCheck generators: valid files round-trip, and
/// every mutation of one (flipped header bytes, truncation, a rewritten header length, JSON fields
/// replaced by values of any type, flipped data bytes, noise) either reads or is refused with a
/// one-line <see cref="VaeCfException"/>; nothing else escapes. Iterations are a fixed count from a
/// fixed seed, run on one thread, so a run is the same every time and takes no wall-clock budget.
/// </summary>
public class SafeTensorsFuzzTests
{
    private const string Name = "fuzz.safetensors";
    private const int Iterations = 1500;

    /// <summary>A file as (tensors, metadata): up to 4 tensors of rank 0-3 with dimensions 0-4, finite values.</summary>
    private static readonly Gen<(NamedTensor[] Tensors, Dictionary<string, string>? Metadata)> ValidFile =
        from count in Gen.Int[0, 4]
        from shapes in Gen.Int[0, 4].Array[0, 3].Array[count]
        from values in Gen.Float[-1e6f, 1e6f].Array[0, 64].Array[count]
        from meta in Gen.Int[0, 2]
        select (shapes.Select((shape, i) => Tensor($"layers.{i}.weight", shape, values[i])).ToArray(),
                meta == 0 ? null : Enumerable.Range(0, meta).ToDictionary(m => $"key{m}", m => $"value {m} ü"));

    private static NamedTensor Tensor(string name, int[] shape, float[] pool)
    {
        var data = new float[SafeTensors.ElementCount(shape)];
        for (int j = 0; j < data.Length; j++) data[j] = pool.Length == 0 ? j : pool[j % pool.Length];
        return new NamedTensor(name, shape, data);
    }

    private static byte[] Bytes(NamedTensor[] tensors, Dictionary<string, string>? metadata)
    {
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    private static int HeaderEnd(byte[] file) => 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);

    /// <summary>Any JSON value, fresh each time (a node has one parent): the kinds of damage a header field can take.</summary>
    private static readonly Gen<JsonNode?> AnyJson = Gen.OneOf<JsonNode?>(
        Gen.Const(0).Select(_ => (JsonNode?)null),
        Gen.Bool.Select(b => (JsonNode?)b),
        Gen.Long.Select(v => (JsonNode?)v),
        Gen.Int[-8, 64].Select(v => (JsonNode?)v),
        Gen.Double.Select(v => double.IsFinite(v) ? (JsonNode?)v : (JsonNode?)1e308),
        Gen.OneOf<string>("F32", "F16", "BF16", "I64", "", "f32", "\u0000", "layers.0.weight").Select(s => (JsonNode?)s),
        Gen.Long.Array[0, 4].Select(a => (JsonNode?)new JsonArray(a.Select(v => (JsonNode?)v).ToArray())),
        Gen.Int[-4, 40].Array[0, 4].Select(a => (JsonNode?)new JsonArray(a.Select(v => (JsonNode?)v).ToArray())),
        Gen.Const(0).Select(_ => (JsonNode?)new JsonObject { ["dtype"] = "F32" }),
        Gen.Const(0).Select(_ => (JsonNode?)new JsonArray(new JsonArray(new JsonArray()))));

    /// <summary>Reads <paramref name="file"/>: it must either read (with consistent, finite tensors) or be refused in one line.</summary>
    private static bool ReadsOrIsRefused(byte[] file)
    {
        try
        {
            var content = SafeTensors.Read(new MemoryStream(file), Name, chunkBytes: 16);
            foreach (var t in content.Tensors.Values)
            {
                Assert.Equal(SafeTensors.ElementCount(t.Shape), t.Data.LongLength);
                Assert.Equal(-1, SafeTensors.IndexOfNonFinite(t.Data));
            }
            return true;
        }
        catch (VaeCfException e)
        {
            Assert.StartsWith(Name + ":", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.DoesNotContain('\r', e.Message);
            Assert.True(e.Message.Length < 600, e.Message);
            return false;
        }
    }

    /// <summary>Runs <paramref name="property"/> on <paramref name="iterations"/> values drawn from a fixed seed on this thread.</summary>
    private static void ForAll<T>(Gen<T> gen, ulong seed, Action<T> property, Func<T, string> print, int iterations = Iterations)
    {
        var pcg = new PCG(7, seed);
        for (int i = 0; i < iterations; i++)
        {
            var value = gen.Generate(pcg, null!, out _);
            try { property(value); }
            catch (Exception e) { throw new Xunit.Sdk.XunitException($"iteration {i} of seed {seed}: {e.GetType().Name}: {e.Message} -- input: {print(value)}", e); }
        }
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 400)));

    [Fact]
    public void ValidFilesRoundTrip() => ForAll(ValidFile, 1, file =>
    {
        var bytes = Bytes(file.Tensors, file.Metadata);
        var read = SafeTensors.Read(new MemoryStream(bytes), Name, chunkBytes: 12);
        Assert.Equal(file.Tensors.Length, read.Tensors.Count);
        foreach (var t in file.Tensors)
        {
            Assert.Equal(t.Shape, read.Tensors[t.Name].Shape);
            Assert.Equal(t.Data, read.Tensors[t.Name].Data);
        }
        Assert.Equal(file.Metadata ?? [], read.Metadata);
    }, f => $"{f.Tensors.Length} tensors [{string.Join("; ", f.Tensors.Select(t => string.Join("x", t.Shape)))}]");

    [Fact]
    public void FlippedHeaderBytesNeverEscapeAsAnotherException() => ForAll(
        from file in ValidFile
        from flips in Gen.Select(Gen.Int[0, int.MaxValue], Gen.Byte[1, 255]).Array[1, 20]
        select Flip(Bytes(file.Tensors, file.Metadata), flips, headerOnly: true),
        2, file => ReadsOrIsRefused(file), Hex);

    [Fact]
    public void TruncatedFilesAreRefused() => ForAll(
        from file in ValidFile.Where(f => f.Tensors.Any(t => t.Data.Length > 0))
        from cut in Gen.Double[0, 1]
        select (File: Bytes(file.Tensors, file.Metadata), Cut: cut),
        3, c =>
        {
            int keep = (int)(c.Cut * (c.File.Length - 1)); // at least one byte short
            Assert.False(ReadsOrIsRefused(c.File[..keep]));
        }, c => $"{Hex(c.File)} cut at {c.Cut}");

    [Fact]
    public void RewrittenHeaderLengthsNeverEscape() => ForAll(
        from file in ValidFile
        from length in Gen.OneOf<ulong>(Gen.ULong, Gen.ULong[0, 4096], Gen.OneOf<ulong>(0UL, 1UL, 2UL, ulong.MaxValue, 1UL << 63, 100_000_000UL, 100_000_001UL))
        select (File: Bytes(file.Tensors, file.Metadata), Length: length),
        4, c =>
        {
            var file = (byte[])c.File.Clone();
            bool same = BinaryPrimitives.ReadUInt64LittleEndian(file) == c.Length;
            BinaryPrimitives.WriteUInt64LittleEndian(file, c.Length);
            bool read = ReadsOrIsRefused(file);
            // Only the right length, or one that moves padding spaces between header and data of a file without data, can read.
            if (read && !same) Assert.True(c.File.Length == HeaderEnd(c.File) || c.Length < (ulong)HeaderEnd(c.File) - 8, $"length {c.Length} read");
        }, c => $"{Hex(c.File)} with header length {c.Length}");

    [Fact]
    public void HeaderFieldsReplacedByAnyJsonAreRefusedOrValid() => ForAll(
        from file in ValidFile.Where(f => f.Tensors.Length > 0)
        from tensor in Gen.Int[0, 3]
        from field in Gen.OneOf<string>("dtype", "shape", "data_offsets", "extra", "(entry)", "__metadata__", "(remove)")
        from value in AnyJson
        select (File: file, Tensor: tensor, Field: field, Value: value),
        5, c =>
        {
            var (tensors, metadata) = c.File;
            var original = Bytes(tensors, metadata);
            var header = JsonNode.Parse(original.AsSpan(8, HeaderEnd(original) - 8))!.AsObject();
            string name = tensors[c.Tensor % tensors.Length].Name;
            var entry = header[name]!.AsObject();
            switch (c.Field)
            {
                case "(entry)": header[name] = c.Value; break;
                case "(remove)": entry.Remove("shape"); break;
                case "__metadata__": header["__metadata__"] = c.Value; break;
                default: entry[c.Field] = c.Value; break;
            }
            var json = Encoding.UTF8.GetBytes(header.ToJsonString());
            var file = new byte[8 + json.Length + original.Length - HeaderEnd(original)];
            BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
            json.CopyTo(file, 8);
            original.AsSpan(HeaderEnd(original)).CopyTo(file.AsSpan(8 + json.Length));
            bool read = ReadsOrIsRefused(file);
            // An unknown field, a removed shape or a non-object entry can never be accepted.
            if (c.Field is "extra" or "(remove)" || (c.Field == "(entry)" && c.Value is not JsonObject)) Assert.False(read);
        }, c => $"{c.Field} of tensor {c.Tensor} := {c.Value?.ToJsonString() ?? "null"}");

    [Fact]
    public void FlippedDataBytesReadOrAreRefusedAsNonFinite() => ForAll(
        from file in ValidFile.Where(f => f.Tensors.Any(t => t.Data.Length > 0))
        from flips in Gen.Select(Gen.Int[0, int.MaxValue], Gen.Byte[1, 255]).Array[1, 8]
        select Flip(Bytes(file.Tensors, file.Metadata), flips, headerOnly: false),
        6, file =>
        {
            try { SafeTensors.Read(new MemoryStream(file), Name); }
            catch (VaeCfException e) { Assert.Contains("non-finite", e.Message); }
        }, Hex);

    [Fact]
    public void NoiseIsRefused() => ForAll(
        from noise in Gen.Byte.Array[0, 300]
        from length in Gen.ULong[0, 300]
        select (Noise: noise, Length: length),
        7, c =>
        {
            var file = new byte[8 + c.Noise.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(file, c.Length);
            c.Noise.CopyTo(file, 8);
            ReadsOrIsRefused(file);
        }, c => $"{c.Length}: {Hex(c.Noise)}");

    private static byte[] Flip(byte[] file, (int Position, byte Mask)[] flips, bool headerOnly)
    {
        var copy = (byte[])file.Clone();
        int start = headerOnly ? 8 : HeaderEnd(file), end = headerOnly ? HeaderEnd(file) : file.Length;
        if (end <= start) return copy;
        foreach (var (position, mask) in flips) copy[start + position % (end - start)] ^= mask;
        return copy;
    }
}
