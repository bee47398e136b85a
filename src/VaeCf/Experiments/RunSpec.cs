using VaeCf.Catalogue;
using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Experiments;

/// <summary>One run of a grid, fully resolved: the dataset, the model kind and its settings.</summary>
public sealed record RunSpec
{
    /// <summary>The grid stage the run belongs to.</summary>
    public required string Stage { get; init; }
    /// <summary>The data to fit on.</summary>
    public required DatasetSpec Dataset { get; init; }
    /// <summary>The model kind to fit.</summary>
    public required ModelDefinition Kind { get; init; }
    /// <summary>The options of the run; a network's architecture has its item count filled in from the data at fit time.</summary>
    public required ModelSettings Settings { get; init; }
    /// <summary>Readable slug plus a short hash of the resolved configuration; the run's folder name.</summary>
    public required string RunId { get; init; }
    /// <summary>Hash of the configuration without the seed: runs that differ only by seed share it.</summary>
    public required string ConfigId { get; init; }

    /// <summary>A closed-form fit (EASE, popularity): no epochs, no seed.</summary>
    public bool IsBaseline => !Kind.IsTrained;

    /// <summary>The architecture of a trained network run; null otherwise.</summary>
    public ModelConfig? Model => Kind.IsTrained ? Settings.Architecture : null;

    /// <summary>Training options of a trained run; null for closed-form kinds.</summary>
    public TrainingOptions? Training => Kind.IsTrained ? Settings.Training : null;

    /// <summary>EASE's lambda; null for kinds without one.</summary>
    public float? Lambda => Kind.Option("lambda") is ModelOption<float> lambda ? Settings.Get(lambda) : null;

    /// <summary>vae, dae, ease or popularity.</summary>
    public string ModelName => Kind.ShortName;

    /// <summary>The training seed; 0 for closed-form kinds, whose fit is deterministic and takes none.</summary>
    public int Seed => !Kind.IsTrained ? 0 : Kind.Option("seed") is ModelOption<int> seed ? Settings.Get(seed) : Settings.Training.Seed;

    /// <summary>Worker threads (0: all cores); not part of the run id.</summary>
    public int Threads => Settings.Threads;
}
