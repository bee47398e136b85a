using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;

namespace VaeCf.Cli.Commands;

/// <summary>
/// Hidden: an untrained Mult-VAE of any size with Xavier weights, item IDs "0".."n-1", for load
/// tests at a scale (ML-20M: 20,108 items) whose data is not bundled.
/// </summary>
public sealed class SyntheticModelCommand : Command<SyntheticModelCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-o|--output <DIR>")]
        public string? Output { get; init; }

        [CommandOption("--items <N>")]
        [DefaultValue(20108)]
        public int Items { get; init; } = 20108;

        [CommandOption("--p-dims <SIZES>")]
        [DefaultValue("200,600")]
        public string PDims { get; init; } = "200,600";

        [CommandOption("--seed <SEED>")]
        [DefaultValue(1)]
        public int Seed { get; init; } = 1;

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("--output is required.")
            : Items < 1 ? ValidationResult.Error("--items must be positive.")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        int[] pDims;
        try { pDims = settings.PDims.Split(',').Select(s => int.Parse(s.Trim())).ToArray(); }
        catch (FormatException) { throw new VaeCfException($"--p-dims must be comma-separated sizes, got '{settings.PDims}'."); }
        var network = new AutoencoderNetwork(new ModelConfig { Kind = ModelKind.MultVae, ItemCount = settings.Items, PDims = pDims }, new GemmEngine(1));
        network.Initialize(settings.Seed);
        var manifest = new ModelManifest
        {
            Model = Catalogue.ModelCatalogue.MultVae.Name,
            Items = Enumerable.Range(0, settings.Items).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            Notes = $"Synthetic, untrained (seed {settings.Seed}); for load tests only.",
        };
        Catalogue.Kinds.AutoencoderModel.SaveNetwork(settings.Output!, network, manifest);
        AnsiConsole.MarkupLine($"Wrote an untrained {settings.Items:N0}-item Mult-VAE to {Markup.Escape(settings.Output!)}.");
        return 0;
    }
}
