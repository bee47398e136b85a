using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Export;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf export: a saved model's scoring path as an ONNX file (the work is in <see cref="OnnxExporter"/>).</summary>
public sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>")]
        [Description("A model folder written by vaecf train (Mult-VAE, Mult-DAE, RecVAE, EASE or popularity).")]
        public string? Model { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("Output format: onnx (input 'history': batch x items clicks; output 'scores': batch x items).")]
        [DefaultValue("onnx")]
        public string Format { get; init; } = "onnx";

        [CommandOption("-o|--output <FILE>")]
        [Description("The file to write, e.g. model.onnx.")]
        public string? Output { get; init; }

        [CommandOption("--overwrite")]
        [Description("Replace an existing output file.")]
        public bool Overwrite { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required: a folder written by vaecf train.");
            if (!string.Equals(Format, "onnx", StringComparison.OrdinalIgnoreCase))
                return ValidationResult.Error($"--format must be onnx, got '{Format}'.");
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required: the .onnx file to write.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string output = settings.Output!;
        if (File.Exists(output) && !settings.Overwrite)
            throw new VaeCfException($"'{output}' already exists; pass --overwrite or choose another --output.");
        if (Directory.Exists(output)) throw new VaeCfException($"--output '{output}' is a folder; give a file name such as model.onnx.");
        long bytes = OnnxExporter.Export(settings.Model!, output);
        AnsiConsole.WriteLine($"wrote {output} ({bytes / (1024.0 * 1024.0):F1} MiB): input '{OnnxExporter.InputName}' [batch, items], output '{OnnxExporter.OutputName}' [batch, items], ONNX opset {OnnxGraphBuilder.OpsetVersion}");
        return 0;
    }
}
