using Microsoft.Extensions.Options;
using VaeCf.Serving;

namespace VaeCf.AspNetCore;

/// <summary>
/// What <see cref="VaeCfServiceCollectionExtensions.AddVaeCfRecommender(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{VaeCfRecommenderOptions})"/>
/// serves and how; bound from the <c>VaeCf</c> configuration section (appsettings.json,
/// <c>VaeCf__Model</c> environment variables) or set in code. Checked when the host starts.
/// </summary>
public sealed class VaeCfRecommenderOptions
{
    /// <summary>The configuration section the options are read from by default.</summary>
    public const string SectionName = "VaeCf";

    /// <summary>A model folder written by <c>vaecf train</c>; required unless <see cref="Recommender"/> is given.</summary>
    public string? Model { get; set; }
    /// <summary>Item metadata (movies.csv, movies.dat, u.item) for titles in answers.</summary>
    public string? Titles { get; set; }
    /// <summary>Gather concurrent POST /recommend requests into one forward pass.</summary>
    public bool Batching { get; set; } = true;
    /// <summary>Most concurrent requests scored in one forward pass.</summary>
    public int MaxBatch { get; set; } = 64;
    /// <summary>Longest a micro-batch waits for its next request, in milliseconds (0 to 1000).</summary>
    public double MaxWaitMs { get; set; } = 2.0;
    /// <summary>GEMM threads of the forward pass; 0 uses every core.</summary>
    public int Threads { get; set; }
    /// <summary>Most item IDs in one history or exclusion list.</summary>
    public int MaxItems { get; set; } = 10_000;
    /// <summary>Largest k a request may ask for.</summary>
    public int MaxK { get; set; } = 1_000;
    /// <summary>Most requests in one POST /recommend/batch.</summary>
    public int MaxBatchSize { get; set; } = 1_000;
    /// <summary>Largest request body the endpoints read, in bytes (413 beyond).</summary>
    public long MaxBodyBytes { get; set; } = 4L << 20;
    /// <summary>A recommender already loaded (tests, custom scorers); <see cref="Model"/> then only names it and is what a reload without a body reloads.</summary>
    public Recommender? Recommender { get; set; }

    internal MicroBatcherOptions? ToBatching() =>
        Batching ? new MicroBatcherOptions { MaxBatch = MaxBatch, MaxWait = TimeSpan.FromMilliseconds(MaxWaitMs) } : null;

    internal ServingLimits ToLimits() =>
        new() { MaxItems = MaxItems, MaxK = MaxK, MaxBatchSize = MaxBatchSize, MaxBodyBytes = MaxBodyBytes };

    /// <summary>The one-line problems with these options (keys named as in configuration), empty when they can be served.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        const string s = SectionName;
        if (Recommender is null && string.IsNullOrWhiteSpace(Model)) problems.Add($"{s}:Model is required: a folder written by vaecf train.");
        if (MaxBatch < 1) problems.Add($"{s}:MaxBatch must be at least 1, got {MaxBatch}.");
        if (!double.IsFinite(MaxWaitMs) || MaxWaitMs < 0 || MaxWaitMs > 1000) problems.Add($"{s}:MaxWaitMs must be a number of milliseconds from 0 to 1000, got {MaxWaitMs.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        if (Threads < 0) problems.Add($"{s}:Threads must be 0 (all cores) or positive, got {Threads}.");
        if (MaxItems < 1) problems.Add($"{s}:MaxItems must be at least 1, got {MaxItems}.");
        if (MaxK < 1) problems.Add($"{s}:MaxK must be at least 1, got {MaxK}.");
        if (MaxBatchSize < 1) problems.Add($"{s}:MaxBatchSize must be at least 1, got {MaxBatchSize}.");
        if (MaxBodyBytes < 64) problems.Add($"{s}:MaxBodyBytes must be at least 64, got {MaxBodyBytes}.");
        return problems;
    }
}

/// <summary>Runs <see cref="VaeCfRecommenderOptions.Problems"/> for the options system (ValidateOnStart: the host does not start on a bad value).</summary>
internal sealed class VaeCfRecommenderOptionsValidator : IValidateOptions<VaeCfRecommenderOptions>
{
    public ValidateOptionsResult Validate(string? name, VaeCfRecommenderOptions options) =>
        options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
