using VaeCf.Baselines;
using VaeCf.Distributed;
using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Catalogue;

/// <summary>
/// Every option a model kind may read, with the library's defaults. A kind reads only the groups
/// its <see cref="ModelDefinition.OptionKeys"/> name; <see cref="Training"/>'s threads, seed and
/// evaluation batch size apply to every kind.
/// </summary>
public sealed record ModelSettings
{
    /// <summary>A network's sizes and dropout; null means the kind's default (its item count is taken from the data).</summary>
    public ModelConfig? Architecture { get; init; }
    public TrainingOptions Training { get; init; } = new();
    /// <summary>EASE's L2 penalty.</summary>
    public float Lambda { get; init; } = EaseOptions.DefaultLambda;

    /// <summary>
    /// The processes training one model together (data parallelism, docs/distributed.md); null is
    /// one process. Where the fit runs, not what it fits: never saved with the model.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ICommunicator? Communicator { get; init; }

    public int Threads => Training.Threads;
}
