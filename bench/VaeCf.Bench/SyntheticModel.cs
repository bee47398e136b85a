using System.Globalization;
using VaeCf.Catalogue;
using VaeCf.Catalogue.Kinds;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Training;

namespace VaeCf.Bench;

/// <summary>
/// An untrained Mult-VAE of any size with Xavier weights, item IDs "0".."n-1", for load tests at a
/// scale (ML-20M: 20,108 items) whose data is not bundled.
/// </summary>
public static class SyntheticModel
{
    public static int Run(string[] args)
    {
        string? output = null;
        int items = 20108, seed = 1;
        string pDims = "200,600";
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "-o" or "--output": output = Next(); break;
                case "--items": items = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--p-dims": pDims = Next(); break;
                case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option '{args[i]}'"); return 2;
            }
        }
        if (string.IsNullOrWhiteSpace(output) || items < 1) { Console.Error.WriteLine("--output is required and --items must be positive."); return 2; }
        var network = new AutoencoderNetwork(new ModelConfig { Kind = ModelKind.MultVae, ItemCount = items, PDims = OptionNames.ParseDims(pDims, "--p-dims") }, new GemmEngine(1));
        network.Initialize(seed);
        var manifest = new ModelManifest
        {
            Model = ModelCatalogue.MultVae.Name,
            Items = Enumerable.Range(0, items).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray(),
            Notes = $"Synthetic, untrained (seed {seed}); for load tests only.",
        };
        AutoencoderModel.SaveNetwork(output, network, manifest);
        Console.WriteLine($"Wrote an untrained {items:N0}-item Mult-VAE to {output}.");
        return 0;
    }
}
