namespace VaeCf;

/// <summary>
/// An error caused by the user's input or options (a malformed file, an impossible setting).
/// The CLI prints its message without a stack trace and exits non-zero; anything else is a bug.
/// </summary>
public class VaeCfException : Exception
{
    /// <param name="message">One line that names the file, line, field or option and says what to change.</param>
    public VaeCfException(string message) : base(message) { }
    /// <param name="message">One line that names the file, line, field or option and says what to change.</param>
    /// <param name="inner">The lower-level failure (an I/O or parse error) behind it.</param>
    public VaeCfException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A malformed record in an input file, located by file and 1-based line.</summary>
public sealed class DataFormatException : VaeCfException
{
    /// <summary>The file the record was read from, as given.</summary>
    public string File { get; }
    /// <summary>The record's 1-based line number.</summary>
    public long Line { get; }

    /// <param name="file">The file the record was read from.</param>
    /// <param name="line">The record's 1-based line number.</param>
    /// <param name="problem">What is wrong with the record; the message becomes <c>file:line: problem</c>.</param>
    public DataFormatException(string file, long line, string problem)
        : base($"{file}:{line}: {problem}")
    {
        File = file;
        Line = line;
    }
}
