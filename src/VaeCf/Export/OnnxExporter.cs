using System.Reflection;
using System.Text.Json;
using VaeCf.Catalogue;
using VaeCf.Baselines;
using VaeCf.Model;
using VaeCf.Model.RecVae;
using VaeCf.Persistence;

namespace VaeCf.Export;

/// <summary>
/// Writes a saved model's scoring path as an ONNX model: input <c>history</c>, float32
/// [batch, items] (the user's clicks, 1 for an item in the history, 0 elsewhere; column j is
/// <see cref="ModelManifest.Items"/>[j], also stored in the model's metadata as <c>vaecf.items</c>),
/// output <c>scores</c>, float32 [batch, items], exactly what <see cref="IScorer.Score"/> returns
/// (history items are not masked). The graphs:
/// <list type="bullet">
/// <item>Mult-VAE / Mult-DAE: x / ||x||_2 (a row of zeros stays zeros), then every layer's
/// x W + b with tanh after all but the last; for the VAE the code layer keeps only its mean half
/// (its first latent-size columns, no tanh): dropout is off and z = mu at inference.</item>
/// <item>RecVAE: x / ||x||_2, then the encoder's dense layers h_l = LayerNormalization(swish(h_{l-1} W_l + b_l
/// + h_0 + ... + h_{l-1})) (swish = v * Sigmoid(v), ONNX's LayerNormalization of opset 17 with the
/// model's epsilon), the mean head mu = h_L W_mu + b_mu, and the decoder mu W + b; the log-variance
/// head and the prior are training-only and not exported.</item>
/// <item>EASE: x B.</item>
/// <item>popularity: the training click counts, the same row for every user.</item>
/// </list>
/// ONNX files are one protobuf message, which parsers cap at 2 GiB; a model bigger than that
/// (EASE beyond about 23,000 items) would need ONNX's external-data layout, which is not written.
/// </summary>
public static class OnnxExporter
{
    /// <summary>Protobuf's limit on one message.</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>The graph's input: float32 [batch, items], 1 for each item in a user's history, else 0.</summary>
    public const string InputName = "history";
    /// <summary>The graph's output: float32 [batch, items], the scores VaeCf ranks by.</summary>
    public const string OutputName = "scores";

    /// <summary>Loads the model folder and writes the ONNX file atomically; returns its size in bytes.</summary>
    public static long Export(string modelDirectory, string outputPath)
    {
        var (scorer, manifest) = ModelFolder.Load(modelDirectory);
        return Export(scorer, manifest, outputPath);
    }

    /// <summary>Writes the ONNX file of a model in memory atomically; returns its size in bytes.</summary>
    public static long Export(IScorer scorer, ModelManifest manifest, string outputPath) =>
        Export(scorer, manifest, outputPath, MaxFileBytes);

    /// <summary><paramref name="maxBytes"/> lets tests reach the size refusal without 2 GiB of weights.</summary>
    internal static long Export(IScorer scorer, ModelManifest manifest, string outputPath, long maxBytes)
    {
        var model = Build(scorer, manifest);
        if (model.Size > maxBytes)
            throw new VaeCfException(
                $"The ONNX model of '{manifest.Model}' would take {model.Size / (double)(1L << 30):F2} GiB, over protobuf's 2 GiB limit for one file; exporting weights as ONNX external data is not supported.");
        AtomicFile.Write(outputPath, model.WriteTo);
        return model.Size;
    }

    /// <summary>The ONNX ModelProto of <paramref name="scorer"/>'s forward pass, not yet encoded.</summary>
    public static ProtoMessage Build(IScorer scorer, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Items.Length != scorer.ItemCount)
            throw new VaeCfException($"The model config lists {manifest.Items.Length} items but the model scores {scorer.ItemCount}.");
        int items = scorer.ItemCount;
        var graph = new OnnxGraphBuilder($"vaecf-{manifest.Model}");
        graph.Input(InputName, null, items);
        string description = scorer switch
        {
            AutoencoderNetwork network => Autoencoder(graph, network),
            RecVaeNetwork recVae => RecVae(graph, recVae),
            EaseScorer ease => Ease(graph, ease),
            PopularityScorer popularity => Popularity(graph, popularity),
            _ => throw new VaeCfException($"ONNX export supports Mult-VAE, Mult-DAE, RecVAE, EASE and popularity, not '{manifest.Model}'."),
        };
        graph.Output(OutputName, null, items);
        graph.Metadata("vaecf.model", manifest.Model);
        graph.Metadata("vaecf.items", JsonSerializer.Serialize(manifest.Items));
        string version = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        return graph.Build(version, $"VaeCf {manifest.Model}: {description}");
    }

    /// <summary>x / ||x||_2 per row, as NetworkWorkspace.LoadInput and SparseInputBatch.Load; returns the node's name.</summary>
    private static string NormalizedHistory(OnnxGraphBuilder graph)
    {
        // The floor on the squared norm (the smallest normal float) keeps an empty history's row
        // at zeros instead of 0 / 0.
        string squares = graph.Node("Mul", [InputName, InputName], "squares");
        string axis = graph.Int64Constant("reduce_axis", 1);
        string sum = graph.Node("ReduceSum", [squares, axis], "sum_of_squares", ("keepdims", 1));
        string floor = graph.Weight("smallest_normal", [], new[] { 1.17549435e-38f });
        string floored = graph.Node("Max", [sum, floor], "sum_of_squares_floored");
        string norm = graph.Node("Sqrt", [floored], "norm");
        string inverse = graph.Node("Reciprocal", [norm], "inverse_norm");
        return graph.Node("Mul", [InputName, inverse], "normalized_history");
    }

    private static string Autoencoder(OnnxGraphBuilder graph, AutoencoderNetwork network)
    {
        string current = NormalizedHistory(graph);

        var parameters = network.Parameters;
        for (int l = 0; l < network.LayerCount; l++)
        {
            var (inputs, outputs) = network.Shapes[l];
            ReadOnlyMemory<float> weight = parameters.Values.AsMemory(network.WeightSlot(l).Offset, inputs * outputs);
            ReadOnlyMemory<float> bias = parameters.Values.AsMemory(network.BiasSlot(l).Offset, outputs);
            bool meanOfCode = network.IsVariational && l == network.CodeLayer;
            if (meanOfCode)
            {
                // The code layer emits [mu | logvar]; inference uses z = mu, the first half of its columns.
                int latent = network.Config.LatentSize;
                var muWeight = new float[inputs * latent];
                for (int i = 0; i < inputs; i++) weight.Span.Slice(i * outputs, latent).CopyTo(muWeight.AsSpan(i * latent, latent));
                weight = muWeight;
                bias = bias[..latent];
                outputs = latent;
            }
            string w = graph.Weight($"layers.{l}.weight", [inputs, outputs], weight);
            string b = graph.Weight($"layers.{l}.bias", [outputs], bias);
            bool last = l == network.LayerCount - 1;
            string linear = graph.Node("Gemm", [current, w, b], last ? OutputName : meanOfCode ? "mu" : $"layers.{l}.linear");
            current = last || meanOfCode ? linear : graph.Node("Tanh", [linear], $"layers.{l}.tanh");
        }
        return $"scores = decoder(mu(encoder(x / ||x||))), layers [{string.Join("-", network.Shapes.Select(s => s.Inputs).Append(network.ItemCount))}]";
    }

    private static string RecVae(OnnxGraphBuilder graph, RecVaeNetwork network)
    {
        var config = network.Config;
        var encoder = network.Encoder.Parameters;
        string Tensor(ParameterSet set, string name)
        {
            var slot = set.Slot(name);
            return graph.Weight(name, slot.Shape.Select(d => (long)d).ToArray(), set.Values.AsMemory(slot.Offset, slot.Length));
        }

        string previous = NormalizedHistory(graph);
        string? outputSum = null;   // h_0 + ... + h_{l-1}, the dense connections
        for (int l = 1; l <= config.EncoderLayers; l++)
        {
            string prefix = $"encoder.fc{l}";
            string linear = graph.Node("Gemm", [previous, Tensor(encoder, prefix + ".weight"), Tensor(encoder, prefix + ".bias")], prefix + ".linear");
            string pre = outputSum is null ? linear : graph.Node("Add", [linear, outputSum], prefix + ".dense_sum");
            string sigmoid = graph.Node("Sigmoid", [pre], prefix + ".sigmoid");
            string swish = graph.Node("Mul", [pre, sigmoid], prefix + ".swish");
            string norm = $"encoder.ln{l}";
            previous = graph.NodeWithFloats("LayerNormalization", [swish, Tensor(encoder, norm + ".weight"), Tensor(encoder, norm + ".bias")],
                norm + ".output", ("epsilon", config.LayerNormEpsilon));
            if (l < config.EncoderLayers)
                outputSum = outputSum is null ? previous : graph.Node("Add", [outputSum, previous], $"encoder.sum{l}");
        }
        string mu = graph.Node("Gemm", [previous, Tensor(encoder, "encoder.fc_mu.weight"), Tensor(encoder, "encoder.fc_mu.bias")], "mu");
        var decoder = network.DecoderParameters;
        graph.Node("Gemm", [mu, Tensor(decoder, "decoder.weight"), Tensor(decoder, "decoder.bias")], OutputName);
        return $"scores = decoder(mu(encoder(x / ||x||))), RecVAE [{config.ItemCount}-{config.HiddenSize}x{config.EncoderLayers}-{config.LatentSize}-{config.ItemCount}]";
    }

    private static string Ease(OnnxGraphBuilder graph, EaseScorer ease)
    {
        string weights = graph.Weight("ease.weights", [ease.ItemCount, ease.ItemCount], ease.Weights);
        graph.Node("MatMul", [InputName, weights], OutputName);
        return $"scores = x B (EASE, lambda {ease.Lambda})";
    }

    private static string Popularity(OnnxGraphBuilder graph, PopularityScorer popularity)
    {
        string counts = graph.Weight("popularity.counts", [popularity.ItemCount], popularity.Counts);
        string shape = graph.Node("Shape", [InputName], "history_shape");
        graph.Node("Expand", [counts, shape], OutputName);
        return "scores = training click counts, for every user";
    }
}
