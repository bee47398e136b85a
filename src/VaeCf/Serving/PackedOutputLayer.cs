using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Serving;

/// <summary>
/// The output layer (hidden x items, 12M weights for ML-20M) for the few rows a server scores at a
/// time: [W; b] packed once by the network's GEMM engine (<see cref="GemmEngine.PackB"/>) and
/// multiplied by the hidden rows with the ones column implied, so scores equal the network's own
/// output product, and so the evaluator's, bit for bit. The tile and depth-block rules live in the
/// engine and <see cref="PackedB"/>; this class only knows where the layer's weights are.
/// </summary>
internal sealed class PackedOutputLayer
{
    private readonly GemmEngine _gemm;
    private readonly PackedB _weights;
    private readonly int _depth, _outputs;

    private PackedOutputLayer(GemmEngine gemm, PackedB weights, int depth, int outputs)
    {
        _gemm = gemm;
        _weights = weights;
        _depth = depth;
        _outputs = outputs;
    }

    /// <summary>Null where the network's GEMM engine cannot pack B (it does not run AVX-512).</summary>
    public static PackedOutputLayer? TryCreate(AutoencoderNetwork network)
    {
        if (!network.Gemm.SupportsPackedB) return null;
        int last = network.LayerCount - 1;
        var (inputs, outputs) = network.Shapes[last];
        // The bias follows the weight in the parameter buffer, so [W; b] is one (inputs + 1) x outputs
        // matrix there, the one the network's own output product reads; a layout without that gets a copy.
        var (weight, bias) = (network.WeightSlot(last), network.BiasSlot(last));
        ReadOnlySpan<float> weightAndBias = bias.Offset == weight.Offset + weight.Length
            ? network.Parameters.Values.AsSpan(weight.Offset, weight.Length + bias.Length)
            : [.. network.Parameters.View(weight), .. network.Parameters.View(bias)];
        return new PackedOutputLayer(network.Gemm, network.Gemm.PackB(weightAndBias, inputs + 1, outputs, outputs), inputs, outputs);
    }

    /// <summary>output[rows x outputs] = input[rows x depth] . W + bias.</summary>
    public void Forward(ReadOnlySpan<float> input, int rows, Span<float> output) =>
        _gemm.MultiplyPacked(rows, input, _depth, _weights, output, _outputs, onesColumn: true);
}
