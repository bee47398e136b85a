using System.Diagnostics;
using VaeCf.Model;
using VaeCf.Split;

namespace VaeCf.Catalogue;

/// <summary>A kind fitted in one step (no epochs, no history, no seed): it only says how to solve; the timing is shared.</summary>
public abstract class ClosedFormModel : ModelDefinition
{
    /// <inheritdoc/>
    public sealed override bool IsTrained => false;

    /// <summary>Computes the model from the training users.</summary>
    protected abstract IScorer Solve(SplitDataset data, ModelSettings settings, IFitObserver observer);

    /// <summary>Times <see cref="Solve"/>; a closed-form fit has no history and leaves validation to the pipeline.</summary>
    public sealed override FittedModel Fit(SplitDataset data, ModelSettings settings, IFitObserver observer, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var scorer = Solve(data, settings, observer);
        return new FittedModel { Scorer = scorer, Seconds = clock.Elapsed.TotalSeconds };
    }
}
