using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace VaeCf.Data;

/// <summary>
/// Decompresses a gzip file and, at its end, checks the data against the file's trailer (CRC-32 and
/// length of the uncompressed data, the last 8 bytes). .NET's <see cref="GZipStream"/> reports a file
/// cut short as a clean end of data, so a half-downloaded dump would otherwise read as a smaller,
/// complete one. Damaged compressed data is reported the same way: one error naming the file.
/// </summary>
/// <remarks>A file of several gzip members joined together (cat a.gz b.gz) fails the check, since the
/// trailer describes only the last member; decompress such a file first.</remarks>
internal sealed class CheckedGzipStream : Stream
{
    private readonly string _path;
    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly Crc32 _crc = new();
    private readonly uint _expectedCrc;
    private readonly uint _expectedLength;
    private readonly bool _trailerPresent;
    private ulong _length;
    private bool _checked;

    public CheckedGzipStream(string path, FileStream file)
    {
        _path = path;
        _file = file;
        // The shortest gzip file (header, empty deflate block, trailer) is 20 bytes; anything shorter is cut.
        if (file.Length >= 18)
        {
            Span<byte> trailer = stackalloc byte[8];
            file.Position = file.Length - 8;
            file.ReadExactly(trailer);
            _expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            _expectedLength = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
            _trailerPresent = true;
        }
        file.Position = 0;
        _gzip = new GZipStream(file, CompressionMode.Decompress);
    }

    public override int Read(Span<byte> buffer)
    {
        int read;
        try { read = _gzip.Read(buffer); }
        catch (InvalidDataException e) { throw new VaeCfException($"'{_path}' is damaged: its gzip data cannot be decompressed ({e.Message})"); }
        if (read > 0)
        {
            _crc.Append(buffer[..read]);
            _length += (ulong)read;
        }
        else if (buffer.Length > 0) CheckTrailer();
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    private void CheckTrailer()
    {
        if (_checked) return;
        _checked = true;
        uint crc = _crc.GetCurrentHashAsUInt32();
        if (!_trailerPresent || crc != _expectedCrc || (uint)_length != _expectedLength)
            throw new VaeCfException(
                $"'{_path}' is truncated or damaged: {_length:N0} bytes decompressed, but the gzip trailer does not match them (a cut download? " +
                "check it with 'gzip -t'; a file of several gzip members joined together must be decompressed first).");
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }
}
