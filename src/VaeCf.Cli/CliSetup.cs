using Spectre.Console.Cli;

namespace VaeCf.Cli;

/// <summary>Registers every command; kept apart from Program so tests can run the CLI in-process.</summary>
public static class CliSetup
{
    public static void Configure(IConfigurator config)
    {
        config.SetApplicationName("vaecf");
        config.PropagateExceptions();
    }
}
