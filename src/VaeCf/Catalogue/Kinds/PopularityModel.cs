using VaeCf.Baselines;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Split;

namespace VaeCf.Catalogue.Kinds;

/// <summary>Popularity: every item scores its training clicks; saved as the tensor "popularity.counts".</summary>
public sealed class PopularityModel : ClosedFormModel
{
    public const string CountsTensor = "popularity.counts";

    public override string Name => "popularity";
    public override string ShortName => "popularity";
    public override string DisplayName => "popularity";
    public override IReadOnlyList<string> Aliases => ["pop"];

    public override string Describe(ModelSettings settings, int itemCount) => $"{Name} on {itemCount} items";

    protected override IScorer Solve(SplitDataset data, ModelSettings settings, IFitObserver observer) => PopularityScorer.Fit(data.Train);

    public override SavedModel ToSaved(FitResult result, ModelManifest manifest)
    {
        var popularity = (PopularityScorer)result.Scorer;
        return new SavedModel(manifest, [new NamedTensor(CountsTensor, [popularity.ItemCount], popularity.Counts)], new Dictionary<string, string>());
    }

    public override IScorer Load(string directory, ModelManifest manifest, IReadOnlyDictionary<string, NamedTensor> tensors, GemmEngine? gemm) =>
        new PopularityScorer(ModelStore.Require(tensors, directory, CountsTensor, [manifest.Items.Length]).Data);
}
