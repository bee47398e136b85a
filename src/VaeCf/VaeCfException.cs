namespace VaeCf;

/// <summary>
/// An error caused by the user's input or options (a malformed file, an impossible setting).
/// The CLI prints its message without a stack trace and exits non-zero; anything else is a bug.
/// </summary>
public class VaeCfException : Exception
{
    public VaeCfException(string message) : base(message) { }
    public VaeCfException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A malformed record in an input file, located by file and 1-based line.</summary>
public sealed class DataFormatException : VaeCfException
{
    public string File { get; }
    public long Line { get; }

    public DataFormatException(string file, long line, string problem)
        : base($"{file}:{line}: {problem}")
    {
        File = file;
        Line = line;
    }
}
