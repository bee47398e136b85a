using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.AspNetCore;
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
        [Description("Listen addresses, ';'-separated (default http://127.0.0.1:5000, or Urls / ASPNETCORE_URLS). Keep to loopback unless a proxy fronts the server.")]
        public string? Urls { get; init; }

        [CommandOption("--titles <FILE>")]
        [Description("Item metadata (movies.csv, movies.dat, u.item) for titles in answers.")]
        public string? Titles { get; init; }

        [CommandOption("--max-batch <N>")]
        [Description("Most concurrent requests scored in one forward pass (default 64).")]
        public int? MaxBatch { get; init; }

        [CommandOption("--max-wait-ms <MS>")]
        [Description("Longest a micro-batch waits for its next request (default 2; only under concurrent load, and only until it holds as many as were recently in flight at once); the wait restarts with each arrival, up to 4x this in all. A larger value (about 8) gathers a round of many closed-loop clients into one pass more often.")]
        public double? MaxWaitMs { get; init; }

        [CommandOption("--no-batching")]
        [Description("One forward pass per request (for comparison).")]
        public bool NoBatching { get; init; }

        [CommandOption("--max-items <N>")]
        [Description("Most item IDs in one history or exclusion list (default 10000).")]
        public int? MaxItems { get; init; }

        [CommandOption("--max-k <N>")]
        [Description("Largest k a request may ask for (default 1000).")]
        public int? MaxK { get; init; }

        [CommandOption("--max-batch-size <N>")]
        [Description("Most requests in one POST /recommend/batch (default 1000).")]
        public int? MaxBatchSize { get; init; }

        [CommandOption("--max-body-bytes <N>")]
        [Description("Largest request body in bytes (default 4194304); larger answers 413.")]
        public long? MaxBodyBytes { get; init; }

        [CommandOption("--threads <N>")]
        [Description("GEMM threads of the forward pass; 0 (default) uses every core.")]
        public int? Threads { get; init; }

        [CommandOption("--log-requests")]
        [Description("Log every request at Information (also: Logging:LogLevel in appsettings.json).")]
        public bool LogRequests { get; init; }

        /// <summary>
        /// The VaeCf section of appsettings.json / appsettings.{Environment}.json in the current
        /// folder and VaeCf__* environment variables, overridden by the flags given.
        /// </summary>
        public ServeOptions ToOptions(IConfiguration configuration)
        {
            VaeCfRecommenderOptions file;
            try { file = configuration.GetSection(VaeCfRecommenderOptions.SectionName).Get<VaeCfRecommenderOptions>() ?? new(); }
            catch (InvalidOperationException e)
            {
                throw new VaeCfException($"appsettings.json / environment, section {VaeCfRecommenderOptions.SectionName}: {e.Message.Split('\n')[0]}", e);
            }
            double maxWaitMs = MaxWaitMs ?? file.MaxWaitMs;
            // Checked before the TimeSpan below, which would throw on NaN or a huge value.
            if (!double.IsFinite(maxWaitMs) || maxWaitMs < 0 || maxWaitMs > 1000)
                throw new VaeCfException($"--max-wait-ms must be a number of milliseconds from 0 to 1000, got {maxWaitMs.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
            bool batching = !NoBatching && file.Batching;
            return new ServeOptions
            {
                ModelDirectory = Model ?? file.Model ?? "",
                TitlesPath = Titles ?? file.Titles,
                Urls = Urls ?? configuration["Urls"] ?? configuration["ASPNETCORE_URLS"] ?? "http://127.0.0.1:5000",
                Batching = batching ? new MicroBatcherOptions { MaxBatch = MaxBatch ?? file.MaxBatch, MaxWait = TimeSpan.FromMilliseconds(maxWaitMs) } : null,
                Limits = new ServingLimits
                {
                    MaxItems = MaxItems ?? file.MaxItems, MaxK = MaxK ?? file.MaxK,
                    MaxBatchSize = MaxBatchSize ?? file.MaxBatchSize, MaxBodyBytes = MaxBodyBytes ?? file.MaxBodyBytes,
                },
                Threads = Threads ?? file.Threads,
                LogRequests = LogRequests,
            };
        }

        /// <summary>What an ASP.NET Core app in the current folder would read.</summary>
        public static IConfiguration ReadConfiguration()
        {
            string environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
            try
            {
                return new ConfigurationBuilder()
                    .SetBasePath(Directory.GetCurrentDirectory())
                    .AddJsonFile("appsettings.json", optional: true)
                    .AddJsonFile($"appsettings.{environment}.json", optional: true)
                    .AddEnvironmentVariables()
                    .Build();
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or System.Text.Json.JsonException)
            {
                throw new VaeCfException($"appsettings.json in {Directory.GetCurrentDirectory()}: not valid JSON ({e.Message.Split('\n')[0]}).", e);
            }
        }

        public override ValidationResult Validate()
        {
            try { ToOptions(ReadConfiguration()).Validate(); }
            catch (VaeCfException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions(Settings.ReadConfiguration());
        await using var app = RecommendationServer.Build(options);
        await RecommendationServer.StartAsync(app, options, cancellationToken);
        var model = app.Services.GetRequiredService<ModelSlot>().Current;
        string batching = options.Batching is { } b ? $"micro-batching up to {b.MaxBatch} requests, {b.MaxWait.TotalMilliseconds:0.###} ms wait" : "no batching";
        string screen = model.Recommender.ScreenedPassRows > 0 ? $", exact 8-bit screen for passes of up to {model.Recommender.ScreenedPassRows} rows" : "";
        AnsiConsole.MarkupLine($"Serving [bold]{Markup.Escape(model.Recommender.Manifest.Model)}[/] ({model.Recommender.ItemCount:N0} items, {batching}{screen}) on {Markup.Escape(string.Join(", ", app.Urls))}; API page {RecommendationServer.ApiPagePath}, metrics /metrics; Ctrl+C stops.");
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}
