using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VaeCf.Persistence;

/// <summary>A float32 tensor read from or written to a safetensors file.</summary>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// mapping names to dtype, shape and byte offsets, then the raw little-endian data. Readable from
/// Python with `safetensors.numpy.load_file`. Writes go to a temporary file renamed into place, so
/// a crash never leaves a truncated file under the final name.
/// </summary>
public static class SafeTensors
{
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var t in tensors)
        {
            if (t.ElementCount != t.Data.Length) throw new ArgumentException($"Tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}] but {t.Data.Length} values.");
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
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(headerBytes);
            for (int i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine.");
            foreach (var t in tensors) stream.Write(MemoryMarshal.AsBytes(t.Data.AsSpan()));
        });
    }

    public static (Dictionary<string, NamedTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Read(lengthBytes) != 8) throw new VaeCfException($"{path}: too short to be a safetensors file.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > 100_000_000 || (long)headerLength > stream.Length - 8) throw new VaeCfException($"{path}: corrupt safetensors header length {headerLength}.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try { header = JsonNode.Parse(headerBytes)!.AsObject(); }
        catch (JsonException e) { throw new VaeCfException($"{path}: safetensors header is not valid JSON ({e.Message})."); }
        long dataStart = 8 + (long)headerLength;
        var tensors = new Dictionary<string, NamedTensor>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v!.GetValue<string>();
                continue;
            }
            var entry = node!.AsObject();
            string dtype = entry["dtype"]!.GetValue<string>();
            if (dtype != "F32") throw new VaeCfException($"{path}: tensor '{name}' has dtype {dtype}; only F32 is supported.");
            int[] shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
            long begin = entry["data_offsets"]![0]!.GetValue<long>(), end = entry["data_offsets"]![1]!.GetValue<long>();
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (end - begin != count * sizeof(float) || dataStart + end > stream.Length)
                throw new VaeCfException($"{path}: tensor '{name}' offsets [{begin}, {end}) do not match its shape or the file size.");
            var data = new float[count];
            stream.Position = dataStart + begin;
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
            tensors[name] = new NamedTensor(name, shape, data);
        }
        return (tensors, metadata);
    }
}

/// <summary>Write-to-temporary-then-rename, so readers see either the old file or the complete new one.</summary>
public static class AtomicFile
{
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

    public static void WriteText(string path, string text) => Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)));
}
