using System.Globalization;

namespace VaeCf;

/// <summary>
/// The crash-safety tests' hook into the steps that write model folders and grid results, and
/// into data-parallel training (a process stopped between steps). Unset
/// (always, outside those tests) every <see cref="Reached"/> is one comparison. With
/// <c>VAECF_FAULT_INJECTION=ACTION:N:PATH</c> in the environment the process numbers the steps it
/// reaches from 1 and, at step N:
/// <list type="bullet">
/// <item><c>pause</c>: writes the step's name to PATH and blocks forever, so the test can SIGKILL
/// the process at exactly that point and synchronize on the file, not on a clock;</item>
/// <item><c>fail</c>: throws an <see cref="IOException"/>, as a full disk would;</item>
/// <item><c>log</c> (N is ignored): appends every step's name to PATH, so a test learns how many
/// kill points a run has.</item>
/// </list>
/// The setting is the process's environment, read once; the step counter is the only state.
/// </summary>
public static class FaultInjection
{
    /// <summary>The environment variable that turns fault injection on (tests only).</summary>
    public const string Variable = "VAECF_FAULT_INJECTION";

    private sealed record Plan(string Action, int Step, string Path);

    // Lazy, not a plain static initializer: a malformed setting is then the one-line error it throws, not a TypeInitializationException.
    private static readonly Lazy<Plan?> Setting = new(() => ParsePlan(Environment.GetEnvironmentVariable(Variable)));
    private static int _reached;

    private static Plan? ParsePlan(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var parts = text.Split(':', 3);
        if (parts.Length != 3 || parts[0] is not ("pause" or "fail" or "log")
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int step))
            throw new VaeCfException($"{Variable} must be pause:N:PATH, fail:N:PATH or log:0:PATH, got '{text}'.");
        return new Plan(parts[0], step, parts[2]);
    }

    /// <summary>Marks that the process has reached <paramref name="step"/> (a short description, e.g. "save: weights written").</summary>
    public static void Reached(string step)
    {
        if (Setting.Value is not { } active) return;
        int number = Interlocked.Increment(ref _reached);
        switch (active.Action)
        {
            case "log":
                File.AppendAllText(active.Path, step + "\n");
                break;
            case "pause" when number == active.Step:
                // Written whole, then renamed: the test polling for the file never reads half of it.
                File.WriteAllText(active.Path + ".partial", step + "\n");
                File.Move(active.Path + ".partial", active.Path, overwrite: true);
                Thread.Sleep(Timeout.Infinite);
                break;
            case "fail" when number == active.Step:
                throw new IOException($"injected fault at step {number} ({step}).");
        }
    }
}
