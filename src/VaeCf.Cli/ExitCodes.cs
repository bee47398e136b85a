using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Cli;

namespace VaeCf.Cli;

/// <summary>
/// The one place where an exception becomes an exit code and a message: a user mistake (bad input,
/// bad option, an output that cannot be written) prints one line and exits 2; anything else is a bug
/// and keeps its stack trace with exit 1.
/// </summary>
public static partial class ExitCodes
{
    public const int Success = 0;
    public const int Bug = 1;
    public const int UserError = 2;
    /// <summary>Training stopped because the loss diverged (non-finite).</summary>
    public const int Diverged = 3;
    /// <summary>Stopped by Ctrl+C or SIGTERM after saving what there was (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    public static int Report(Exception exception, IReadOnlyList<string> args)
    {
        if (UserMessage(exception, args) is string message)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
            return UserError;
        }
        AnsiConsole.WriteException(exception);
        return Bug;
    }

    /// <summary>The one-line message for a user mistake, or null for a bug.</summary>
    public static string? UserMessage(Exception exception, IReadOnlyList<string> args)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case VaeCfException user:
                    return OneLine(user.Message);
                case CommandAppException parse:
                    return OneLine(parse.Message) + Suggestion(parse.Message, args);
                // The file system refused (read-only, full, no permission, vanished): the environment, not a bug.
                case UnauthorizedAccessException or IOException:
                    return OneLine(e.Message);
            }
        }
        return null;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    [GeneratedRegex("^Unknown option '(?<name>[^']+)'")]
    private static partial Regex UnknownOption();

    /// <summary>" Did you mean --epochs?" for a misspelled option, from the options of the command being run.</summary>
    private static string Suggestion(string message, IReadOnlyList<string> args)
    {
        var match = UnknownOption().Match(message);
        if (!match.Success) return "";
        var near = NearestOptions(match.Groups["name"].Value, OptionsOf(args.Count > 0 ? args[0] : null));
        return near.Count == 0 ? "" : $" Did you mean {string.Join(" or ", near.Select(n => "--" + n))}?";
    }

    /// <summary>The closest option names within two edits (ties all kept), else the only one the text begins.</summary>
    public static IReadOnlyList<string> NearestOptions(string unknown, IEnumerable<string> options)
    {
        var distinct = options.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        int limit = Math.Min(2, Math.Max(1, unknown.Length / 3));
        var scored = distinct.Select(o => (Option: o, Distance: EditDistance(unknown.ToLowerInvariant(), o.ToLowerInvariant()))).Where(s => s.Distance <= limit).ToList();
        if (scored.Count > 0)
        {
            int best = scored.Min(s => s.Distance);
            return scored.Where(s => s.Distance == best).Select(s => s.Option).Order(StringComparer.Ordinal).ToList();
        }
        var prefixed = unknown.Length >= 3 ? distinct.Where(o => o.StartsWith(unknown, StringComparison.OrdinalIgnoreCase)).ToList() : [];
        return prefixed.Count == 1 ? prefixed : [];
    }

    /// <summary>Levenshtein distance with adjacent transpositions ("widht" is one edit from "width").</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    /// <summary>
    /// Long option names of a command, found by convention ("tune-beta" is TuneBetaCommand); for an
    /// unknown command, those of every command.
    /// </summary>
    private static IEnumerable<string> OptionsOf(string? command)
    {
        var commands = typeof(ExitCodes).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && SettingsOf(t) is not null).ToList();
        string? typeName = command is null ? null
            : string.Concat(command.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..])) + "Command";
        var chosen = commands.Where(t => t.Name == typeName).ToList();
        return (chosen.Count > 0 ? chosen : commands)
            .SelectMany(t => SettingsOf(t)!.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            .SelectMany(p => p.GetCustomAttribute<CommandOptionAttribute>()?.LongNames ?? []);
    }

    private static Type? SettingsOf(Type command)
    {
        for (var t = command.BaseType; t is not null; t = t.BaseType)
            if (t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(Command<>) || t.GetGenericTypeDefinition() == typeof(AsyncCommand<>)))
                return t.GetGenericArguments()[0];
        return null;
    }
}
