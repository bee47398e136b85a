using Microsoft.Extensions.Logging;

namespace VaeCf.Cli;

/// <summary>
/// The library's log entries on stderr. Warning and above by default (the progress display already
/// shows epochs); VAECF_LOG_LEVEL=Information (or Debug, Trace) adds epoch, stage and metric lines,
/// handy when the output goes to a CI log.
/// </summary>
public static class CliLogging
{
    public const string LevelVariable = "VAECF_LOG_LEVEL";

    public static ILoggerFactory CreateFactory(string? level = null)
    {
        level ??= Environment.GetEnvironmentVariable(LevelVariable);
        var minimum = LogLevel.Warning;
        if (!string.IsNullOrWhiteSpace(level) && !Enum.TryParse(level, ignoreCase: true, out minimum))
            throw new VaeCfException($"{LevelVariable}={level}: expected one of {string.Join(", ", Enum.GetNames<LogLevel>())}.");
        return LoggerFactory.Create(logging => logging
            .SetMinimumLevel(minimum)
            .AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; }));
    }
}
