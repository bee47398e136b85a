using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Cli.Http;
using VaeCf.Serving;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf serve: the HTTP API of <see cref="RecommendationServer"/> over a saved model.</summary>
public sealed class ServeCommand : AsyncCommand<ServeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>")]
        [Description("A model folder written by vaecf train.")]
        public string? Model { get; init; }

        [CommandOption("--urls <URLS>")]
        [Description("Listen addresses, ';'-separated. Keep to loopback unless a proxy fronts the server.")]
        [DefaultValue("http://127.0.0.1:5000")]
        public string Urls { get; init; } = "http://127.0.0.1:5000";

        [CommandOption("--titles <FILE>")]
        [Description("Item metadata (movies.csv, movies.dat, u.item) for titles in answers.")]
        public string? Titles { get; init; }

        [CommandOption("--max-batch <N>")]
        [Description("Most concurrent requests scored in one forward pass.")]
        [DefaultValue(64)]
        public int MaxBatch { get; init; } = 64;

        [CommandOption("--max-wait-ms <MS>")]
        [Description("Longest a micro-batch waits for its next request (only under concurrent load, and only until it holds as many as were recently in flight at once); the wait restarts with each arrival, up to 4x this in all. A larger value (about 8) gathers a round of many closed-loop clients into one pass more often.")]
        [DefaultValue(2.0)]
        public double MaxWaitMs { get; init; } = 2.0;

        [CommandOption("--no-batching")]
        [Description("One forward pass per request (for comparison).")]
        public bool NoBatching { get; init; }

        [CommandOption("--max-items <N>")]
        [Description("Most item IDs in one history or exclusion list.")]
        [DefaultValue(10_000)]
        public int MaxItems { get; init; } = 10_000;

        [CommandOption("--max-k <N>")]
        [DefaultValue(1_000)]
        public int MaxK { get; init; } = 1_000;

        [CommandOption("--max-batch-size <N>")]
        [Description("Most requests in one POST /recommend/batch.")]
        [DefaultValue(1_000)]
        public int MaxBatchSize { get; init; } = 1_000;

        [CommandOption("--max-body-bytes <N>")]
        [DefaultValue(4L << 20)]
        public long MaxBodyBytes { get; init; } = 4L << 20;

        [CommandOption("--threads <N>")]
        [Description("GEMM threads of the forward pass; 0 uses every core.")]
        [DefaultValue(0)]
        public int Threads { get; init; }

        public ServeOptions ToOptions() => new()
        {
            ModelDirectory = Model ?? "",
            TitlesPath = Titles,
            Urls = Urls,
            Batching = NoBatching ? null : new MicroBatcherOptions { MaxBatch = MaxBatch, MaxWait = TimeSpan.FromMilliseconds(MaxWaitMs) },
            Limits = new ServingLimits { MaxItems = MaxItems, MaxK = MaxK, MaxBatchSize = MaxBatchSize, MaxBodyBytes = MaxBodyBytes },
            Threads = Threads,
        };

        public override ValidationResult Validate()
        {
            // Checked before ToOptions, whose TimeSpan would throw on NaN or a huge value.
            if (!double.IsFinite(MaxWaitMs) || MaxWaitMs < 0 || MaxWaitMs > 1000)
                return ValidationResult.Error($"--max-wait-ms must be a number of milliseconds from 0 to 1000, got {MaxWaitMs.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
            try { ToOptions().Validate(); }
            catch (VaeCfException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        await using var app = RecommendationServer.Build(options);
        await RecommendationServer.StartAsync(app, options, cancellationToken);
        var model = app.Services.GetRequiredService<ModelSlot>().Current;
        string batching = options.Batching is { } b ? $"micro-batching up to {b.MaxBatch} requests, {b.MaxWait.TotalMilliseconds:0.###} ms wait" : "no batching";
        string screen = model.Recommender.ScreenedPassRows > 0 ? $", exact 8-bit screen for passes of up to {model.Recommender.ScreenedPassRows} rows" : "";
        AnsiConsole.MarkupLine($"Serving [bold]{Markup.Escape(model.Recommender.Manifest.Model)}[/] ({model.Recommender.ItemCount:N0} items, {batching}{screen}) on {Markup.Escape(string.Join(", ", app.Urls))}; Ctrl+C stops.");
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}
