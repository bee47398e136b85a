using Spectre.Console.Cli;
using VaeCf.Cli;

var app = new CommandApp();
app.Configure(CliSetup.Configure);
return app.Run(args);
