using VaeCf.Distributed;
using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Catalogue;

/// <summary>
/// Every option a fit reads. The network groups (<see cref="Architecture"/>, <see cref="Training"/>)
/// are shared by the kinds whose <see cref="ModelDefinition.OptionKeys"/> name their keys;
/// <see cref="Options"/> holds the values of options a kind declares itself
/// (<see cref="ModelDefinition.Options"/>, e.g. EASE's lambda). <see cref="Training"/>'s threads,
/// seed and evaluation batch size apply to every kind.
/// </summary>
public sealed record ModelSettings
{
    /// <summary>A network's sizes and dropout; null means the kind's default (its item count is taken from the data).</summary>
    public ModelConfig? Architecture { get; init; }
    /// <summary>The shared training options (optimizer, learning rate, epochs, anneal, seed, threads); a kind reads the ones its <see cref="ModelDefinition.OptionKeys"/> name.</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>
    /// Grid keys of <see cref="Training"/> options set on purpose ("lr", "epochs"): they keep their
    /// value even where it equals the shared default and the kind has a default of its own
    /// (<see cref="ModelDefinition.DefaultTraining"/>). A value away from the shared default counts
    /// as set without being named here; the CLI and grid files name every option they were given.
    /// </summary>
    public IReadOnlySet<string> GivenTrainingKeys { get; init; } = NoKeys;

    private static readonly IReadOnlySet<string> NoKeys = new HashSet<string>();

    /// <summary>Values of declared options; one not given reads as its default.</summary>
    public OptionValues Options { get; init; } = OptionValues.None;

    /// <summary>
    /// The processes training one model together (data parallelism, docs/distributed.md); null is
    /// one process. Where the fit runs, not what it fits: never saved with the model.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ICommunicator? Communicator { get; init; }

    /// <summary>Worker threads (0: all cores), from <see cref="Training"/>; every kind reads it.</summary>
    public int Threads => Training.Threads;

    /// <summary>The value of a declared option (its default when not given).</summary>
    public T Get<T>(ModelOption<T> option) where T : notnull => Options.Get(option);

    /// <summary>These settings with <paramref name="option"/> set to <paramref name="value"/>.</summary>
    public ModelSettings With<T>(ModelOption<T> option, T value) where T : notnull => this with { Options = Options.With(option, value) };
}
