using System.Runtime.Intrinsics;
using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Training;

/// <summary>
/// Adam (Kingma and Ba) with PyTorch's update rule, optionally with a coupled L2 penalty on weights
/// (Adam) or decoupled weight decay (AdamW). One fused pass over the flat parameter buffer: the
/// parameters, gradients and both moments are read and written once per step.
/// </summary>
public sealed class AdamOptimizer
{
    /// <summary>How <see cref="WeightDecay"/> acts: a coupled L2 penalty (Adam) or decoupled decay (AdamW, Loshchilov and Hutter, ICLR 2019).</summary>
    public OptimizerKind Kind { get; }
    /// <summary>Step size alpha; settable between steps (ReduceLROnPlateau multiplies it), taking effect at the next <see cref="Step"/>.</summary>
    public float LearningRate { get; set; }
    /// <summary>Lambda, on weights only (biases never decay). Adam: the loss gains lambda * ||W||^2, so 2 * lambda * w joins the gradient. AdamW: each weight shrinks by lr * lambda per step. 0 = none.</summary>
    public float WeightDecay { get; }
    /// <summary>Decay of the first-moment (mean) estimate; Kingma and Ba's default 0.9.</summary>
    public float Beta1 { get; } = 0.9f;
    /// <summary>Decay of the second-moment (uncentered variance) estimate; 0.999.</summary>
    public float Beta2 { get; } = 0.999f;
    /// <summary>Added to the bias-corrected sqrt(v) in the denominator, as PyTorch does; 1e-8.</summary>
    public float Epsilon { get; } = 1e-8f;
    /// <summary>Updates applied so far: t in the bias corrections 1 - beta^t.</summary>
    public long Steps { get; private set; }
    /// <summary>The update's vector width: parameters and moments get the same bits at every level, the returned sum of squares may differ in its last bits.</summary>
    public SimdLevel Simd { get; }

    private readonly ParameterSet _parameters;
    private readonly float[] _m;
    private readonly float[] _v;
    private readonly int _threads;
    private readonly double[] _partial;

    /// <summary>
    /// An optimizer that updates <paramref name="parameters"/>' buffer in place (it keeps the reference) and owns two
    /// zeroed moment buffers of the same length. <paramref name="threads"/> (at least 1 is used) splits only tensors
    /// of 2^18 floats or more; parameters and moments do not depend on it (the returned sum of squares may, in its last bits).
    /// Not thread-safe.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">This processor cannot run <paramref name="simd"/>.</exception>
    public AdamOptimizer(ParameterSet parameters, OptimizerKind kind, float learningRate, float weightDecay, int threads, SimdLevel? simd = null)
    {
        Simd = simd ?? SimdCapabilities.Best;
        if (!SimdCapabilities.IsSupported(Simd)) throw new PlatformNotSupportedException($"SIMD level {Simd} is not supported by this processor.");
        _parameters = parameters;
        Kind = kind;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        _m = new float[parameters.Count];
        _v = new float[parameters.Count];
        _threads = Math.Max(1, threads);
        _partial = new double[_threads];
    }

    /// <summary>
    /// Applies one update from <paramref name="gradients"/>. Returns the sum of squared weights before
    /// the update (biases excluded), which the coupled L2 penalty adds to the loss, at no extra pass.
    /// </summary>
    public double Step(float[] gradients)
    {
        Steps++;
        float correction1 = 1f - MathF.Pow(Beta1, Steps);
        float correction2Sqrt = MathF.Sqrt(1f - MathF.Pow(Beta2, Steps));
        double weightSquares = 0;
        foreach (var slot in _parameters.Slots)
        {
            // Decay applies to weights only, as the original's regularizer.
            float coupled = Kind == OptimizerKind.Adam && slot.IsWeight ? 2f * WeightDecay : 0f;
            float shrink = Kind == OptimizerKind.AdamW && slot.IsWeight ? 1f - LearningRate * WeightDecay : 1f;
            var rule = new UpdateRule(LearningRate / correction1, correction2Sqrt, Beta1, Beta2, Epsilon, coupled, shrink);
            int chunks = slot.Length >= 1 << 18 ? _threads : 1;
            if (chunks == 1) weightSquares += Update(slot.Offset, slot.Length, gradients, rule, slot.IsWeight);
            else
            {
                var partial = _partial;
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = _threads }, c =>
                {
                    int start = (int)((long)slot.Length * c / chunks), end = (int)((long)slot.Length * (c + 1) / chunks);
                    partial[c] = Update(slot.Offset + start, end - start, gradients, rule, slot.IsWeight);
                });
                for (int c = 0; c < chunks; c++) weightSquares += partial[c];
            }
        }
        return weightSquares;
    }

    /// <summary>
    /// One element's step: the gradient with the coupled penalty, both moments, then the parameter.
    /// Memory-bound (four streams in, three out): a wider vector halves the instructions, not the bytes.
    /// Returns the parameter's square before the step.
    /// </summary>
    private readonly struct UpdateRule(float stepSize, float correction2Sqrt, float beta1, float beta2, float epsilon, float coupled, float shrink)
        : IStateUpdateOperator
    {
        private readonly float _stepSize = stepSize, _correction2Sqrt = correction2Sqrt, _beta1 = beta1, _beta2 = beta2, _epsilon = epsilon;
        private readonly float _coupled = coupled, _shrink = shrink, _oneMinusBeta1 = 1f - beta1, _oneMinusBeta2 = 1f - beta2;

        public double Invoke(ref float p, float g, ref float m, ref float v)
        {
            float pv = p;
            float gv = g + _coupled * pv;
            m = _beta1 * m + _oneMinusBeta1 * gv;
            v = _beta2 * v + _oneMinusBeta2 * gv * gv;
            p = _shrink * pv - _stepSize * m / (MathF.Sqrt(v) / _correction2Sqrt + _epsilon);
            return (double)pv * pv;
        }

        public Vector256<float> Invoke(ref Vector256<float> p, Vector256<float> g, ref Vector256<float> m, ref Vector256<float> v)
        {
            var pv = p;
            var gv = g + Vector256.Create(_coupled) * pv;
            m = Vector256.Create(_beta1) * m + Vector256.Create(_oneMinusBeta1) * gv;
            v = Vector256.Create(_beta2) * v + Vector256.Create(_oneMinusBeta2) * gv * gv;
            p = Vector256.Create(_shrink) * pv - Vector256.Create(_stepSize) * m / (Vector256.Sqrt(v) / Vector256.Create(_correction2Sqrt) + Vector256.Create(_epsilon));
            return pv * pv;
        }

        public Vector512<float> Invoke(ref Vector512<float> p, Vector512<float> g, ref Vector512<float> m, ref Vector512<float> v)
        {
            var pv = p;
            var gv = g + Vector512.Create(_coupled) * pv;
            m = Vector512.Create(_beta1) * m + Vector512.Create(_oneMinusBeta1) * gv;
            v = Vector512.Create(_beta2) * v + Vector512.Create(_oneMinusBeta2) * gv * gv;
            p = Vector512.Create(_shrink) * pv - Vector512.Create(_stepSize) * m / (Vector512.Sqrt(v) / Vector512.Create(_correction2Sqrt) + Vector512.Create(_epsilon));
            return pv * pv;
        }
    }

    private double Update(int offset, int length, float[] gradients, UpdateRule rule, bool countSquares)
    {
        double squares = Elementwise.UpdateState(Simd, _parameters.Values.AsSpan(offset, length), gradients.AsSpan(offset, length),
            _m.AsSpan(offset, length), _v.AsSpan(offset, length), rule);
        return countSquares ? squares : 0;
    }
}
