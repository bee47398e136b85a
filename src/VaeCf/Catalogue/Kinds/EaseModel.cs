using System.Globalization;
using VaeCf.Baselines;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Split;

namespace VaeCf.Catalogue.Kinds;

/// <summary>EASE (Steck 2019): one item x item weight matrix in closed form, saved as the tensor "ease.weights".</summary>
public sealed class EaseModel : ClosedFormModel
{
    /// <summary>The model folder's tensor holding B (items x items).</summary>
    public const string WeightsTensor = "ease.weights";

    /// <inheritdoc/>
    public override string Name => "ease";
    /// <inheritdoc/>
    public override string ShortName => "ease";
    /// <inheritdoc/>
    public override string DisplayName => "EASE";
    /// <summary>The help text of EASE's lambda (a constant, so the CLI's --lambda attribute can show it).</summary>
    public const string LambdaDescription = "EASE's L2 regularization: larger values shrink the item-item weights.";

    /// <summary>EASE's L2 penalty on the item-item weights (Steck 2019).</summary>
    public static readonly ModelOption<float> Lambda =
        ModelOption.Number("lambda", EaseOptions.DefaultLambda, LambdaDescription, v => v > 0, "a number > 0");

    /// <inheritdoc/>
    public override IReadOnlyList<ModelOption> Options { get; } = [Lambda];

    private static EaseOptions SolverOptions(ModelSettings settings) => new() { Lambda = settings.Get(Lambda), Threads = settings.Threads };

    /// <inheritdoc/>
    public override void Validate(ModelSettings settings)
    {
        base.Validate(settings);
        SolverOptions(settings).Validate();
    }

    /// <inheritdoc/>
    public override string Describe(ModelSettings settings, int itemCount) =>
        $"{Name} on {itemCount} items, lambda {settings.Get(Lambda).ToString(CultureInfo.InvariantCulture)}";

    /// <inheritdoc/>
    protected override IScorer Solve(SplitDataset data, ModelSettings settings, IFitObserver observer) =>
        EaseScorer.Fit(data.Train, SolverOptions(settings), onEvent: e => observer.OnFitStage(e.Elapsed, e.Message));

    /// <inheritdoc/>
    public override SavedModel ToSaved(FitResult result, ModelManifest manifest)
    {
        var ease = (EaseScorer)result.Scorer;
        return new SavedModel(manifest with { Hyperparameters = new Dictionary<string, double> { ["lambda"] = ease.Lambda } },
            [new NamedTensor(WeightsTensor, [ease.ItemCount, ease.ItemCount], ease.Weights)], new Dictionary<string, string>());
    }

    /// <inheritdoc/>
    public override IScorer Load(string directory, ModelManifest manifest, IReadOnlyDictionary<string, NamedTensor> tensors, GemmEngine? gemm)
    {
        int items = manifest.Items.Length;
        var weights = ModelStore.Require(tensors, directory, WeightsTensor, [items, items]);
        double lambda = manifest.Hyperparameters?.GetValueOrDefault("lambda") ?? double.NaN;
        return new EaseScorer(items, weights.Data, (float)lambda, gemm?.Threads ?? 0);
    }
}
