using VaeCf.Cli;

return CliSetup.Run(args);
