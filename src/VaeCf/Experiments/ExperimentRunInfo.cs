using System.Text.Json;
using VaeCf.Persistence;

namespace VaeCf.Experiments;

/// <summary>experiment.json: what grid run a folder holds. Written before config.json, which marks the folder complete.</summary>
public sealed record ExperimentRunInfo
{
    public const string FileName = "experiment.json";
    public required string RunId { get; init; }
    public required string ConfigId { get; init; }
    public required string Stage { get; init; }
    public required string Dataset { get; init; }
    public required string DatasetPath { get; init; }
    public string? Grid { get; init; }

    public static ExperimentRunInfo Of(RunSpec run, string? grid) => new()
    {
        RunId = run.RunId, ConfigId = run.ConfigId, Stage = run.Stage, Dataset = run.Dataset.Name, DatasetPath = run.Dataset.Path, Grid = grid,
    };

    public static ExperimentRunInfo? TryRead(string runFolder)
    {
        string path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<ExperimentRunInfo>(File.ReadAllText(path), ModelManifest.Json); }
        catch (JsonException e) { throw new VaeCfException($"{path}: not a valid experiment record ({e.Message})."); }
    }

    public string ToJson() => JsonSerializer.Serialize(this, ModelManifest.Json);
}
