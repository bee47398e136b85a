using Spectre.Console;
using VaeCf.Cli;

// Output to a file or pipe: full-width plain lines instead of 80-column wrapping and box drawing.
if (Console.IsOutputRedirected) AnsiConsole.Console = PlainOutput.Create(Console.Out);
return CliSetup.Run(args);
