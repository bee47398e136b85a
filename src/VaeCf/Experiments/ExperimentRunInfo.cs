using System.Text.Json;
using VaeCf.Persistence;

namespace VaeCf.Experiments;

/// <summary>experiment.json: what grid run a folder holds. Written before config.json, which marks the folder complete.</summary>
public sealed record ExperimentRunInfo
{
    /// <summary>The record's file in each run folder.</summary>
    public const string FileName = "experiment.json";
    /// <summary>The run's folder name (<see cref="RunSpec.RunId"/>).</summary>
    public required string RunId { get; init; }
    /// <summary>Shared by the runs that differ only by seed (<see cref="RunSpec.ConfigId"/>).</summary>
    public required string ConfigId { get; init; }
    /// <summary>The grid stage the run belongs to.</summary>
    public required string Stage { get; init; }
    /// <summary>The dataset's name.</summary>
    public required string Dataset { get; init; }
    /// <summary>The dataset's path as the grid file wrote it.</summary>
    public required string DatasetPath { get; init; }
    /// <summary>The grid's name, when the run came from one.</summary>
    public string? Grid { get; init; }

    /// <summary>The record of <paramref name="run"/>.</summary>
    public static ExperimentRunInfo Of(RunSpec run, string? grid) => new()
    {
        RunId = run.RunId, ConfigId = run.ConfigId, Stage = run.Stage, Dataset = run.Dataset.Name, DatasetPath = run.Dataset.Path, Grid = grid,
    };

    /// <summary>The record in <paramref name="runFolder"/>, or null when it has none; a damaged one is a user error naming the file.</summary>
    public static ExperimentRunInfo? TryRead(string runFolder)
    {
        string path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<ExperimentRunInfo>(File.ReadAllText(path), ModelManifest.Json); }
        catch (JsonException e) { throw new VaeCfException($"{path}: not a valid experiment record ({e.Message})."); }
    }

    /// <summary>The record as experiment.json holds it.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ModelManifest.Json);
}
