using System.Buffers;
using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VaeCf.Persistence;

/// <summary>A float32 tensor read from or written to a safetensors file.</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data)
{
    /// <summary>Elements in <see cref="Shape"/> (the product of its sizes).</summary>
    public long ElementCount => SafeTensors.ElementCount(Shape);
}

/// <summary>One tensor as the header describes it: byte offsets are relative to the start of the data section.</summary>
public sealed record SafeTensorEntry(string Name, int[] Shape, long Begin, long End)
{
    /// <summary>Elements in <see cref="Shape"/>.</summary>
    public long ElementCount => SafeTensors.ElementCount(Shape);
    /// <summary>Bytes the tensor takes in the data section.</summary>
    public long ByteLength => End - Begin;
}

/// <summary>
/// A validated safetensors header: the tensors in file order (contiguous, non-overlapping, covering
/// the data section exactly), the string metadata, where the data section starts and the file's length.
/// </summary>
public sealed record SafeTensorsHeader(string Path, long DataStart, long FileLength,
    IReadOnlyList<SafeTensorEntry> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The entry named <paramref name="name"/>, or null.</summary>
    public SafeTensorEntry? Find(string name) => Tensors.FirstOrDefault(t => t.Name == name);
}

/// <summary>What <see cref="SafeTensors.Read(string, string?, int)"/> returns: every tensor, the metadata, and the file's verified SHA-256 when one was expected.</summary>
public sealed record SafeTensorsContent(Dictionary<string, NamedTensor> Tensors, Dictionary<string, string> Metadata, string? Sha256)
{
    /// <summary>Lets callers write <c>var (tensors, metadata) = SafeTensors.Read(...)</c>.</summary>
    public void Deconstruct(out Dictionary<string, NamedTensor> tensors, out Dictionary<string, string> metadata)
    {
        tensors = Tensors;
        metadata = Metadata;
    }
}

/// <summary>Receives a tensor's values in order, a chunk at a time; <paramref name="firstElement"/> is the chunk's offset in the tensor.</summary>
public delegate void TensorChunkHandler(long firstElement, ReadOnlySpan<float> values);

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// mapping names to dtype, shape and byte offsets, then the raw little-endian data. Readable from
/// Python with `safetensors.numpy.load_file`. Writes go to a temporary file renamed into place, so
/// a crash never leaves a truncated file under the final name.
/// <para>
/// Reading is strict, because a damaged file must be refused rather than served: the header must
/// be a JSON object of tensor entries, each with dtype F32, a shape of non-negative integers and two
/// data offsets that match the shape; the tensors must tile the data section exactly (no gap, no
/// overlap, nothing after the last); <c>__metadata__</c> maps strings to strings; every value must
/// be finite. Each failure is a <see cref="VaeCfException"/> naming the file and the tensor or field.
/// </para>
/// <para>
/// Data moves in chunks of at most <see cref="DefaultChunkBytes"/>, never as one span, so a tensor
/// over 2 GB (EASE's items x items matrix at 40k items is 6.7 GB) is written and read like any other.
/// </para>
/// </summary>
public static class SafeTensors
{
    /// <summary>Longest header accepted, as the reference implementation bounds it.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Bytes moved per read or write call; far under the 2^31-byte limit of a span.</summary>
    public const int DefaultChunkBytes = 64 << 20;

    /// <summary>The header key of the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes the tensors in order and returns the SHA-256 (lowercase hex) of the file as written,
    /// so a caller can record it without reading the file back.
    /// </summary>
    public static string Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors, metadata, DefaultChunkBytes);

    /// <summary><see cref="Write(string, IReadOnlyList{NamedTensor}, IReadOnlyDictionary{string, string}?)"/> with a chosen chunk size (tests cross many chunk boundaries with a small one).</summary>
    public static string Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata, int chunkBytes)
    {
        string sha256 = "";
        AtomicFile.Write(path, stream => sha256 = Write(stream, tensors, metadata, chunkBytes));
        return sha256;
    }

    /// <summary>Writes the file's bytes to <paramref name="stream"/> and returns their SHA-256 (lowercase hex).</summary>
    public static string Write(Stream stream, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata, int chunkBytes = DefaultChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, sizeof(float));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine.");
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header[MetadataKey] = meta;
        }
        long offset = 0;
        foreach (var t in tensors)
        {
            if (string.IsNullOrEmpty(t.Name) || t.Name == MetadataKey) throw new ArgumentException($"'{t.Name}' cannot name a tensor.");
            if (header.ContainsKey(t.Name)) throw new ArgumentException($"Tensor '{t.Name}' is listed twice.");
            if (t.Shape.Any(d => d < 0)) throw new ArgumentException($"Tensor '{t.Name}' has a negative dimension in [{string.Join(", ", t.Shape)}].");
            if (t.ElementCount != t.Data.LongLength) throw new ArgumentException($"Tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}] but {t.Data.LongLength} values.");
            long bytes = t.Data.LongLength * sizeof(float);
            header[t.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        int padded = (headerBytes.Length + 7) / 8 * 8;
        var prefix = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        headerBytes.CopyTo(prefix, 8);
        prefix.AsSpan(8 + headerBytes.Length).Fill((byte)' ');

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        stream.Write(prefix);
        hash.AppendData(prefix);
        int chunkFloats = chunkBytes / sizeof(float);
        foreach (var t in tensors)
        {
            // A float[]'s indices fit an int (at most Array.MaxLength elements); its bytes may not, so no span covers it whole.
            for (long start = 0; start < t.Data.Length; start += chunkFloats)
            {
                var bytes = MemoryMarshal.AsBytes(t.Data.AsSpan((int)start, (int)Math.Min(chunkFloats, t.Data.Length - start)));
                stream.Write(bytes);
                hash.AppendData(bytes);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Reads and validates every tensor of a file into memory, refusing non-finite values. With
    /// <paramref name="expectedSha256"/> (hex, either case) the whole file is hashed on the same
    /// pass (the tensors tile the data section, so every byte is read once) and a file whose content
    /// hashes differently is refused; that error wins over a non-finite value found in the same
    /// pass (a changed file is the cause, the NaN a symptom). Without it nothing is hashed (SHA-256
    /// costs about as much as the read).
    /// </summary>
    public static SafeTensorsContent Read(string path, string? expectedSha256 = null, int chunkBytes = DefaultChunkBytes)
    {
        using var stream = OpenRead(path);
        return Read(stream, path, expectedSha256, chunkBytes);
    }

    /// <summary>Reads from any seekable stream; <paramref name="name"/> is what error messages call it.</summary>
    public static SafeTensorsContent Read(Stream stream, string name, string? expectedSha256 = null, int chunkBytes = DefaultChunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, sizeof(float));
        using var hash = expectedSha256 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var header = ReadHeader(stream, name, hash);
        var tensors = new Dictionary<string, NamedTensor>(header.Tensors.Count, StringComparer.Ordinal);
        string? nonFinite = null;
        foreach (var entry in header.Tensors)
        {
            long count = entry.ElementCount;
            if (count > Array.MaxLength)
                throw new VaeCfException($"{name}: tensor {Quote(entry.Name)} holds {count:N0} values, more than one .NET array can ({Array.MaxLength:N0}).");
            var data = new float[count];
            ReadValues(stream, name, header, entry, chunkBytes, hash, (first, n) => data.AsSpan((int)first, n), null,
                deferNonFinite: expectedSha256 is not null, ref nonFinite);
            tensors[entry.Name] = new NamedTensor(entry.Name, entry.Shape, data);
        }
        string? sha256 = hash is null ? null : Convert.ToHexStringLower(hash.GetHashAndReset());
        if (expectedSha256 is not null && !string.Equals(sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
            throw new VaeCfException($"{name}: content does not match its recorded checksum (SHA-256): the file is damaged or comes from another save.");
        if (nonFinite is not null) throw new VaeCfException(nonFinite);
        return new SafeTensorsContent(tensors, new Dictionary<string, string>(header.Metadata), sha256);
    }

    /// <summary>Reads and validates the header only (nothing of the data section but its length).</summary>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path, null);
    }

    /// <summary>
    /// Streams one tensor's values to <paramref name="handler"/> in chunks of at most
    /// <paramref name="chunkBytes"/>, checking each for non-finite values; memory stays at one
    /// chunk whatever the tensor's size.
    /// </summary>
    public static void ReadChunks(string path, string tensorName, TensorChunkHandler handler, int chunkBytes = DefaultChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, sizeof(float));
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path, null);
        var entry = header.Find(tensorName) ?? throw new VaeCfException($"{path}: tensor {Quote(tensorName)} is missing.");
        long chunkFloats = chunkBytes / sizeof(float);
        var buffer = ArrayPool<float>.Shared.Rent((int)Math.Min(chunkFloats, Math.Max(1, entry.ElementCount)));
        try
        {
            string? unused = null;
            ReadValues(stream, path, header, entry, chunkBytes, null, (_, n) => buffer.AsSpan(0, n), handler, deferNonFinite: false, ref unused);
        }
        finally { ArrayPool<float>.Shared.Return(buffer); }
    }

    /// <summary>
    /// The tensor named <paramref name="name"/>, refused unless its shape is <paramref name="expected"/>
    /// (what the model's config implies); <paramref name="path"/> names the file in the error.
    /// </summary>
    public static NamedTensor Expect(IReadOnlyDictionary<string, NamedTensor> tensors, string path, string name, params int[] expected)
    {
        if (!tensors.TryGetValue(name, out var tensor))
            throw new VaeCfException($"{path}: tensor {Quote(name)} is missing (expected shape [{string.Join(", ", expected)}]).");
        if (!tensor.Shape.AsSpan().SequenceEqual(expected))
            throw new VaeCfException($"{path}: tensor {Quote(name)} has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", expected)}] from the model's config.");
        return tensor;
    }

    /// <summary>
    /// Refuses a file whose tensors are not exactly <paramref name="expected"/> (name and shape): a
    /// missing one, a wrong shape, or one the model has no use for (a file from another model).
    /// </summary>
    public static void ExpectExactly(IReadOnlyDictionary<string, NamedTensor> tensors, string path, IEnumerable<(string Name, int[] Shape)> expected)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape) in expected)
        {
            Expect(tensors, path, name, shape);
            names.Add(name);
        }
        foreach (var name in tensors.Keys.Order(StringComparer.Ordinal))
            if (!names.Contains(name))
                throw new VaeCfException($"{path}: unexpected tensor {Quote(name)}; the model's config has no parameter of that name.");
    }

    /// <summary>SHA-256 of a file's content as lowercase hex, streamed (constant memory at any size).</summary>
    public static string Sha256(string path)
    {
        using var stream = OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Elements of a shape; an empty shape is a scalar (one element).</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape) count = checked(count * d);
        return count;
    }

    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or -1 (vectorized; a few GB/s).</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        if (TensorPrimitives.IsFiniteAll(values)) return -1;
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            // No FileStream buffer: every read is a large chunk straight into its destination.
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException) { throw new VaeCfException($"{path}: the file does not exist."); }
        catch (DirectoryNotFoundException) { throw new VaeCfException($"{path}: the folder does not exist."); }
        catch (UnauthorizedAccessException) { throw new VaeCfException($"{path}: not readable (permission denied)."); }
    }

    private delegate Span<float> ChunkTarget(long firstElement, int count);

    /// <summary>
    /// Reads one tensor's bytes in chunks into the spans <paramref name="target"/> gives, hashing
    /// them and refusing the first non-finite value (named by its flat index in the tensor).
    /// </summary>
    private static void ReadValues(Stream stream, string name, SafeTensorsHeader header, SafeTensorEntry entry, int chunkBytes,
        IncrementalHash? hash, ChunkTarget target, TensorChunkHandler? handler, bool deferNonFinite, ref string? nonFinite)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine.");
        stream.Position = header.DataStart + entry.Begin;
        long count = entry.ElementCount;
        int chunkFloats = chunkBytes / sizeof(float);
        for (long done = 0; done < count;)
        {
            int n = (int)Math.Min(chunkFloats, count - done);
            var values = target(done, n);
            var bytes = MemoryMarshal.AsBytes(values);
            try { stream.ReadExactly(bytes); }
            catch (EndOfStreamException) { throw new VaeCfException($"{name}: the file ends inside tensor {Quote(entry.Name)} (truncated or changed while reading)."); }
            hash?.AppendData(bytes);
            int bad = nonFinite is null ? IndexOfNonFinite(values) : -1;
            if (bad >= 0)
            {
                nonFinite = $"{name}: tensor {Quote(entry.Name)} holds a non-finite value ({(float.IsNaN(values[bad]) ? "NaN" : values[bad] > 0 ? "+Infinity" : "-Infinity")}) at flat index {done + bad:N0}; the weights are damaged or training diverged.";
                if (!deferNonFinite) throw new VaeCfException(nonFinite);
            }
            handler?.Invoke(done, values);
            done += n;
        }
    }

    private static SafeTensorsHeader ReadHeader(Stream stream, string name, IncrementalHash? hash)
    {
        long fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.Position = 0;
        if (fileLength < 8 || stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) != 8)
            throw new VaeCfException($"{name}: too short to be a safetensors file ({fileLength} bytes; the 8-byte header length is missing).");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength < 2)
            throw new VaeCfException($"{name}: safetensors header length is {headerLength}; expected a JSON object of at least 2 bytes.");
        if (headerLength > MaxHeaderBytes)
            throw new VaeCfException($"{name}: safetensors header length {headerLength:N0} is over the {MaxHeaderBytes:N0}-byte limit (not a safetensors file, or a damaged one).");
        if ((long)headerLength > fileLength - 8)
            throw new VaeCfException($"{name}: safetensors header length {headerLength:N0} is past the end of the {fileLength:N0}-byte file (truncated or not a safetensors file).");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        hash?.AppendData(lengthBytes);
        hash?.AppendData(headerBytes);
        long dataStart = 8 + (long)headerLength;
        return ParseHeader(headerBytes, name, dataStart, fileLength);
    }

    /// <summary>
    /// Validates a header's JSON against a file of <paramref name="fileLength"/> bytes whose data
    /// section starts at <paramref name="dataStart"/>. Public for the parser's property tests.
    /// </summary>
    public static SafeTensorsHeader ParseHeader(ReadOnlySpan<byte> json, string name, long dataStart, long fileLength)
    {
        long dataLength = fileLength - dataStart;
        if (dataLength < 0) throw new VaeCfException($"{name}: the header runs past the end of the file.");
        // JsonDocument checks the UTF-8 of names and strings only when they are read (and then throws
        // InvalidOperationException), so the whole header is checked first.
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw new VaeCfException($"{name}: safetensors header is not valid UTF-8 (damaged, or not a safetensors file); expected a JSON object.");
        JsonDocument document;
        try
        {
            // A header is two levels deep; a low depth bound stops hostile nesting early.
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new VaeCfException($"{name}: safetensors header is not valid UTF-8 JSON (near byte {e.BytePositionInLine ?? 0} of the header); expected a JSON object.");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new VaeCfException($"{name}: safetensors header is a JSON {Kind(root)}; expected an object mapping tensor names to entries.");
            var entries = new List<SafeTensorEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                string key = property.Name;
                if (!seen.Add(key)) throw new VaeCfException($"{name}: safetensors header names {Quote(key)} twice.");
                if (key == MetadataKey) ParseMetadata(property.Value, name, metadata);
                else entries.Add(ParseEntry(property.Value, name, key, dataLength));
            }
            CheckTiling(entries, name, dataLength);
            return new SafeTensorsHeader(name, dataStart, fileLength, entries, metadata);
        }
    }

    private static void ParseMetadata(JsonElement value, string name, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new VaeCfException($"{name}: safetensors {MetadataKey} is a JSON {Kind(value)}; expected an object of string values.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new VaeCfException($"{name}: safetensors {MetadataKey} field {Quote(item.Name)} is a JSON {Kind(item.Value)}; expected a string.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new VaeCfException($"{name}: safetensors {MetadataKey} names {Quote(item.Name)} twice.");
        }
    }

    private static SafeTensorEntry ParseEntry(JsonElement value, string name, string tensor, long dataLength)
    {
        string where = $"{name}: tensor {Quote(tensor)}";
        if (tensor.Length == 0) throw new VaeCfException($"{name}: safetensors header has a tensor with an empty name.");
        if (value.ValueKind != JsonValueKind.Object)
            throw new VaeCfException($"{where} is a JSON {Kind(value)}; expected an object with dtype, shape and data_offsets.");
        JsonElement? dtype = null, shape = null, offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null: dtype = field.Value; break;
                case "shape" when shape is null: shape = field.Value; break;
                case "data_offsets" when offsets is null: offsets = field.Value; break;
                case "dtype" or "shape" or "data_offsets": throw new VaeCfException($"{where}: field '{field.Name}' appears twice.");
                default: throw new VaeCfException($"{where}: unexpected field {Quote(field.Name)}; expected only dtype, shape and data_offsets.");
            }
        }

        if (dtype is not { } d) throw new VaeCfException($"{where}: 'dtype' is missing; expected \"F32\".");
        if (d.ValueKind != JsonValueKind.String) throw new VaeCfException($"{where}: 'dtype' is a JSON {Kind(d)}; expected the string \"F32\".");
        string dtypeName = d.GetString()!;
        if (dtypeName != "F32")
        {
            bool known = dtypeName is "F64" or "F16" or "BF16" or "F8_E4M3" or "F8_E5M2" or "I64" or "I32" or "I16" or "I8" or "U64" or "U32" or "U16" or "U8" or "BOOL";
            throw new VaeCfException(known
                ? $"{where} has dtype {dtypeName}; only F32 is supported (convert the file to float32)."
                : $"{where}: 'dtype' {Quote(dtypeName)} is not a safetensors dtype; expected \"F32\".");
        }

        if (shape is not { } s) throw new VaeCfException($"{where}: 'shape' is missing; expected an array of non-negative integers.");
        if (s.ValueKind != JsonValueKind.Array) throw new VaeCfException($"{where}: 'shape' is a JSON {Kind(s)}; expected an array of non-negative integers.");
        var dims = new int[s.GetArrayLength()];
        int i = 0;
        foreach (var dim in s.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long v))
                throw new VaeCfException($"{where}: shape[{i}] is {(dim.ValueKind == JsonValueKind.Number ? "not an integer" : "a JSON " + Kind(dim))}; expected a non-negative integer.");
            if (v < 0) throw new VaeCfException($"{where}: shape[{i}] is {v}; dimensions cannot be negative.");
            if (v > int.MaxValue) throw new VaeCfException($"{where}: shape[{i}] is {v:N0}; a dimension must be at most {int.MaxValue:N0}.");
            dims[i++] = (int)v;
        }
        // The product is bounded by the data section before it is formed, so it cannot overflow.
        long count = dims.Contains(0) ? 0 : 1;
        long maxCount = dataLength / sizeof(float);
        foreach (int dim in dims)
        {
            if (count == 0) break;
            if (count > maxCount / dim)
                throw new VaeCfException($"{where}: shape [{string.Join(", ", dims)}] needs more bytes than the file's {dataLength:N0}-byte data section holds.");
            count *= dim;
        }

        if (offsets is not { } o) throw new VaeCfException($"{where}: 'data_offsets' is missing; expected [begin, end].");
        if (o.ValueKind != JsonValueKind.Array || o.GetArrayLength() != 2)
            throw new VaeCfException($"{where}: 'data_offsets' is {(o.ValueKind == JsonValueKind.Array ? $"an array of {o.GetArrayLength()}" : "a JSON " + Kind(o))}; expected [begin, end].");
        long begin = Offset(o[0], where, "begin"), end = Offset(o[1], where, "end");
        if (begin > end) throw new VaeCfException($"{where}: data_offsets [{begin}, {end}] run backwards; expected begin <= end.");
        if (end > dataLength)
            throw new VaeCfException($"{where}: data_offsets end {end:N0} is past the {dataLength:N0}-byte data section (truncated file or damaged header).");
        if (end - begin != count * sizeof(float))
            throw new VaeCfException($"{where}: data_offsets [{begin}, {end}] span {end - begin:N0} bytes; shape [{string.Join(", ", dims)}] of F32 needs {count * sizeof(float):N0}.");
        return new SafeTensorEntry(tensor, dims, begin, end);
    }

    private static long Offset(JsonElement value, string where, string which)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long v))
            throw new VaeCfException($"{where}: data_offsets {which} is {(value.ValueKind == JsonValueKind.Number ? "not an integer" : "a JSON " + Kind(value))}; expected a non-negative integer.");
        if (v < 0) throw new VaeCfException($"{where}: data_offsets {which} is {v}; offsets cannot be negative.");
        return v;
    }

    /// <summary>The tensors, in offset order, must start at 0, follow each other without gap or overlap and end at the end of the file.</summary>
    private static void CheckTiling(List<SafeTensorEntry> entries, string name, long dataLength)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var e in entries)
        {
            if (e.Begin < expected)
                throw new VaeCfException($"{name}: tensor {Quote(e.Name)} data_offsets [{e.Begin:N0}, {e.End:N0}] overlap the previous tensor, which ends at {expected:N0}.");
            if (e.Begin > expected)
                throw new VaeCfException($"{name}: tensor {Quote(e.Name)} starts at {e.Begin:N0}, leaving a gap after byte {expected:N0}; tensors must be contiguous.");
            expected = e.End;
        }
        if (expected != dataLength)
            throw new VaeCfException($"{name}: the tensors cover {expected:N0} bytes but the data section holds {dataLength:N0} (extra bytes after the last tensor).");
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };

    private static readonly JsonSerializerOptions QuoteJson = new() { Encoder = JavaScriptEncoder.Default };

    /// <summary>A name from the file, quoted and escaped so it stays on one line, and cut short so a hostile one cannot flood the message.</summary>
    internal static string Quote(string text)
    {
        const int Max = 80;
        string cut = text.Length > Max ? text[..Max] + "..." : text;
        return JsonSerializer.Serialize(cut, QuoteJson).Replace('"', '\'');
    }
}

/// <summary>Write-to-temporary-then-rename, so readers see either the old file or the complete new one.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> into a temporary file, flushed to disk, then renamed over the target.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8, atomically.</summary>
    public static void WriteText(string path, string text) => Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)));
}
