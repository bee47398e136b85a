using System.Diagnostics;

namespace VaeCf.Model;

/// <summary>The parts of one training step that <see cref="PhaseProfile"/> times apart.</summary>
public enum TrainingPhase
{
    /// <summary>Sparse input layer: one weight row gathered per click, plus its activation.</summary>
    InputForward,
    /// <summary>Hidden dense layers, activations, dropout and the VAE's sampling.</summary>
    HiddenForward,
    /// <summary>The output layer's logits product.</summary>
    OutputForward,
    /// <summary>Softmax, multinomial likelihood and KL with their gradients.</summary>
    Loss,
    /// <summary>The output layer's weight (and bias) gradient product.</summary>
    OutputWeightGradient,
    /// <summary>The output layer's input gradient product.</summary>
    OutputInputGradient,
    /// <summary>Hidden layers' gradients, activation and sampling derivatives.</summary>
    HiddenBackward,
    /// <summary>The sparse input layer's weight and bias gradients (and clearing the last batch's rows).</summary>
    InputBackward,
    /// <summary>The optimizer step over every parameter.</summary>
    Optimizer,
}

/// <summary>
/// Wall time per <see cref="TrainingPhase"/>, summed over the steps it saw. A workspace given one
/// marks each boundary; without one the step pays a null check per phase. Benchmarks read it to
/// say where a step's time goes beside its GEMMs.
/// </summary>
public sealed class PhaseProfile
{
    private readonly long[] _ticks = new long[Enum.GetValues<TrainingPhase>().Length];
    private readonly Func<long> _clock;
    private readonly long _ticksPerSecond;
    private long _last;

    /// <summary>A profile on the wall clock.</summary>
    public PhaseProfile() : this(Stopwatch.GetTimestamp, Stopwatch.Frequency) { }

    /// <param name="clock">Current time in ticks: a one-thread run can pass its thread's CPU time, which other processes do not inflate.</param>
    /// <param name="ticksPerSecond">Ticks of <paramref name="clock"/> per second.</param>
    public PhaseProfile(Func<long> clock, long ticksPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ticksPerSecond);
        _clock = clock;
        _ticksPerSecond = ticksPerSecond;
    }

    /// <summary>Starts the clock of the next phase (call before a step's first phase).</summary>
    public void Start() => _last = _clock();

    /// <summary>Charges the time since the last mark to <paramref name="phase"/>.</summary>
    public void Mark(TrainingPhase phase)
    {
        long now = _clock();
        _ticks[(int)phase] += now - _last;
        _last = now;
    }

    /// <summary>Seconds charged to <paramref name="phase"/> so far.</summary>
    public double Seconds(TrainingPhase phase) => (double)_ticks[(int)phase] / _ticksPerSecond;

    /// <summary>Forgets every phase's time.</summary>
    public void Reset() => Array.Clear(_ticks);
}
