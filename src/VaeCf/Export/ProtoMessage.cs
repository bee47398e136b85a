using System.Runtime.InteropServices;
using System.Text;

namespace VaeCf.Export;

/// <summary>
/// A protocol-buffers message built field by field and written in the standard wire format
/// (https://protobuf.dev/programming-guides/encoding/): each field is a tag (field number &lt;&lt; 3 |
/// wire type) followed by a varint (wire type 0), a length-prefixed payload (2) or four little-endian
/// bytes (5). Only what the ONNX messages need is here: varint integers, fixed32 floats, strings,
/// packed float payloads and nested messages.
/// <para>
/// Sizes are computed before anything is written (a nested message's length prefix comes first),
/// so a message holding large float tensors streams them straight from their arrays to the file:
/// no copy of the weights is made. Protobuf parsers, ONNX Runtime's among them, refuse messages of
/// 2 GiB or more; <see cref="Size"/> lets the caller check before writing.
/// </para>
/// </summary>
public sealed class ProtoMessage
{
    private enum WireType { Varint = 0, LengthDelimited = 2, Fixed32 = 5 }

    private readonly record struct Field(int Number, WireType Type, ulong Varint, uint Fixed, byte[]? Bytes, ReadOnlyMemory<float> Floats, ProtoMessage? Message);

    private readonly List<Field> _fields = [];
    private long _size = -1;

    /// <summary>An int32, int64 or enum field (negative values take ten bytes, as protobuf's int64 does).</summary>
    public ProtoMessage Int(int number, long value) => Add(new Field(number, WireType.Varint, unchecked((ulong)value), 0, null, default, null));

    /// <summary>A float field (fixed32).</summary>
    public ProtoMessage Float(int number, float value) =>
        Add(new Field(number, WireType.Fixed32, 0, BitConverter.SingleToUInt32Bits(value), null, default, null));

    /// <summary>A string field, UTF-8.</summary>
    public ProtoMessage String(int number, string value) => Add(new Field(number, WireType.LengthDelimited, 0, 0, Encoding.UTF8.GetBytes(value), default, null));

    /// <summary>A bytes field holding <paramref name="values"/> as little-endian float32 (ONNX's raw_data layout).</summary>
    public ProtoMessage RawFloats(int number, ReadOnlyMemory<float> values) => Add(new Field(number, WireType.LengthDelimited, 0, 0, null, values, null));

    /// <summary>A bytes field holding <paramref name="values"/> as little-endian int64.</summary>
    public ProtoMessage RawInt64s(int number, ReadOnlySpan<long> values) =>
        Add(new Field(number, WireType.LengthDelimited, 0, 0, MemoryMarshal.AsBytes(values).ToArray(), default, null));

    /// <summary>A nested message field (a repeated field is this called once per element).</summary>
    public ProtoMessage Message(int number, ProtoMessage message) => Add(new Field(number, WireType.LengthDelimited, 0, 0, null, default, message));

    private ProtoMessage Add(Field field)
    {
        if (field.Number is < 1 or > (1 << 29) - 1) throw new ArgumentOutOfRangeException(nameof(field), $"Field number {field.Number} is outside protobuf's range.");
        _fields.Add(field);
        _size = -1;
        return this;
    }

    /// <summary>Encoded size in bytes, without an enclosing length prefix.</summary>
    public long Size
    {
        get
        {
            if (_size >= 0) return _size;
            long total = 0;
            foreach (var f in _fields)
            {
                total += VarintSize(Tag(f));
                total += f.Type switch
                {
                    WireType.Varint => VarintSize(f.Varint),
                    WireType.Fixed32 => 4,
                    _ => LengthDelimited(PayloadSize(f)),
                };
            }
            return _size = total;
        }
    }

    private static long PayloadSize(Field f) => f.Message?.Size ?? f.Bytes?.LongLength ?? 4L * f.Floats.Length;

    private static long LengthDelimited(long payload) => VarintSize((ulong)payload) + payload;

    private static ulong Tag(Field f) => ((ulong)f.Number << 3) | (ulong)f.Type;

    internal static int VarintSize(ulong value)
    {
        int bytes = 1;
        while (value >= 0x80) { value >>= 7; bytes++; }
        return bytes;
    }

    /// <summary>Writes the encoded message (fields in the order they were added).</summary>
    public void WriteTo(Stream stream)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The protobuf writer assumes a little-endian machine.");
        Span<byte> scratch = stackalloc byte[10];
        foreach (var f in _fields)
        {
            WriteVarint(stream, Tag(f), scratch);
            switch (f.Type)
            {
                case WireType.Varint:
                    WriteVarint(stream, f.Varint, scratch);
                    break;
                case WireType.Fixed32:
                    BitConverter.TryWriteBytes(scratch, f.Fixed);
                    stream.Write(scratch[..4]);
                    break;
                default:
                    WriteVarint(stream, (ulong)PayloadSize(f), scratch);
                    if (f.Message is not null) f.Message.WriteTo(stream);
                    else if (f.Bytes is not null) stream.Write(f.Bytes);
                    else stream.Write(MemoryMarshal.AsBytes(f.Floats.Span));
                    break;
            }
        }
    }

    private static void WriteVarint(Stream stream, ulong value, Span<byte> scratch)
    {
        int n = 0;
        while (value >= 0x80) { scratch[n++] = (byte)(value | 0x80); value >>= 7; }
        scratch[n++] = (byte)value;
        stream.Write(scratch[..n]);
    }

    /// <summary>The encoded message as one array.</summary>
    public byte[] ToArray()
    {
        using var memory = new MemoryStream(checked((int)Size));
        WriteTo(memory);
        return memory.ToArray();
    }
}
