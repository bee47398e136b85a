using System.Runtime.Intrinsics;
using VaeCf.Model;

namespace VaeCf.Training;

/// <summary>
/// Adam (Kingma and Ba) with PyTorch's update rule, optionally with a coupled L2 penalty on weights
/// (Adam) or decoupled weight decay (AdamW). One fused pass over the flat parameter buffer: the
/// parameters, gradients and both moments are read and written once per step.
/// </summary>
public sealed class AdamOptimizer
{
    public OptimizerKind Kind { get; }
    public float LearningRate { get; set; }
    public float WeightDecay { get; }
    public float Beta1 { get; } = 0.9f;
    public float Beta2 { get; } = 0.999f;
    public float Epsilon { get; } = 1e-8f;
    public long Steps { get; private set; }

    private readonly ParameterSet _parameters;
    private readonly float[] _m;
    private readonly float[] _v;
    private readonly int _threads;
    private readonly double[] _partial;

    public AdamOptimizer(ParameterSet parameters, OptimizerKind kind, float learningRate, float weightDecay, int threads)
    {
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

    private readonly record struct UpdateRule(float StepSize, float Correction2Sqrt, float Beta1, float Beta2, float Epsilon, float Coupled, float Shrink);

    private double Update(int offset, int length, float[] gradients, UpdateRule r, bool countSquares)
    {
        var p = _parameters.Values.AsSpan(offset, length);
        var g = gradients.AsSpan(offset, length);
        var m = _m.AsSpan(offset, length);
        var v = _v.AsSpan(offset, length);
        double squares = 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // Memory-bound: four streams in, three out. The wider vector halves the instructions, not the bytes.
            var b1 = Vector512.Create(r.Beta1); var ob1 = Vector512.Create(1f - r.Beta1);
            var b2 = Vector512.Create(r.Beta2); var ob2 = Vector512.Create(1f - r.Beta2);
            var coupled = Vector512.Create(r.Coupled); var shrink = Vector512.Create(r.Shrink);
            var step = Vector512.Create(r.StepSize); var c2 = Vector512.Create(r.Correction2Sqrt); var eps = Vector512.Create(r.Epsilon);
            var sq = Vector512<float>.Zero;
            const int w = 16;
            for (; i <= length - w; i += w)
            {
                var pv = Vector512.Create(p.Slice(i, w));
                var gv = Vector512.Create(g.Slice(i, w)) + coupled * pv;
                var mv = b1 * Vector512.Create(m.Slice(i, w)) + ob1 * gv;
                var vv = b2 * Vector512.Create(v.Slice(i, w)) + ob2 * gv * gv;
                sq += pv * pv;
                pv = shrink * pv - step * mv / (Vector512.Sqrt(vv) / c2 + eps);
                mv.CopyTo(m.Slice(i, w));
                vv.CopyTo(v.Slice(i, w));
                pv.CopyTo(p.Slice(i, w));
            }
            squares = Vector512.Sum(sq);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var b1 = Vector256.Create(r.Beta1); var ob1 = Vector256.Create(1f - r.Beta1);
            var b2 = Vector256.Create(r.Beta2); var ob2 = Vector256.Create(1f - r.Beta2);
            var coupled = Vector256.Create(r.Coupled); var shrink = Vector256.Create(r.Shrink);
            var step = Vector256.Create(r.StepSize); var c2 = Vector256.Create(r.Correction2Sqrt); var eps = Vector256.Create(r.Epsilon);
            var sq = Vector256<float>.Zero;
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var pv = Vector256.Create(p.Slice(i, 8));
                var gv = Vector256.Create(g.Slice(i, 8)) + coupled * pv;
                var mv = b1 * Vector256.Create(m.Slice(i, 8)) + ob1 * gv;
                var vv = b2 * Vector256.Create(v.Slice(i, 8)) + ob2 * gv * gv;
                sq += pv * pv;
                pv = shrink * pv - step * mv / (Vector256.Sqrt(vv) / c2 + eps);
                mv.CopyTo(m.Slice(i, 8));
                vv.CopyTo(v.Slice(i, 8));
                pv.CopyTo(p.Slice(i, 8));
            }
            squares = Vector256.Sum(sq);
        }
        for (; i < length; i++)
        {
            float pv = p[i];
            float gv = g[i] + r.Coupled * pv;
            m[i] = r.Beta1 * m[i] + (1f - r.Beta1) * gv;
            v[i] = r.Beta2 * v[i] + (1f - r.Beta2) * gv * gv;
            squares += (double)pv * pv;
            p[i] = r.Shrink * pv - r.StepSize * m[i] / (MathF.Sqrt(v[i]) / r.Correction2Sqrt + r.Epsilon);
        }
        return countSquares ? squares : 0;
    }
}
