using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Benchmarks;
using VaeCf.Catalogue;
using VaeCf.Catalogue.Kinds;
using VaeCf.Model;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf bench: training-step, epoch and evaluation timings on a synthetic ML-20M-shaped matrix, against the GEMM floor.</summary>
public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--items <N>")]
        [Description("Catalogue size (ML-20M: 20108).")]
        [DefaultValue(20_108)]
        public int Items { get; init; } = 20_108;

        [CommandOption("--users <N>")]
        [Description("Training users; sets batches per epoch (ML-20M: 116677). A small value also times a real epoch.")]
        [DefaultValue(116_677)]
        public int Users { get; init; } = 116_677;

        [CommandOption("--batch-size <N>")]
        [Description("Users per training batch, as train's --batch-size.")]
        [DefaultValue(500)]
        public int BatchSize { get; init; } = 500;

        /// <summary>The option's former name, still read so existing scripts run; not listed in --help.</summary>
        [CommandOption("--batch <N>", IsHidden = true)]
        public int? Batch { get; init; }

        /// <summary>--batch when given (the old name), else --batch-size.</summary>
        public int EffectiveBatchSize => Batch ?? BatchSize;

        [CommandOption("--threads <N>")]
        [Description("0 = every core.")]
        [DefaultValue(0)]
        public int Threads { get; init; }

        [CommandOption("--batches <N>")]
        [Description("Timed training batches per model (their median is reported).")]
        [DefaultValue(20)]
        public int Batches { get; init; } = 20;

        [CommandOption("--warmup <N>")]
        [DefaultValue(3)]
        public int Warmup { get; init; } = 3;

        [CommandOption("--kind <KIND>")]
        [Description("vae, dae, both (the default) or recvae (its encoder and decoder steps); as train's --kind.")]
        public string? KindName { get; init; }

        /// <summary>The former name of --kind, still read; not listed in --help.</summary>
        [CommandOption("--model <KIND>", IsHidden = true)]
        public string? Model { get; init; }

        [CommandOption("--eval-users <N>")]
        [Description("Held-out users ranked against all items (0 skips evaluation).")]
        [DefaultValue(10_000)]
        public int EvalUsers { get; init; } = 10_000;

        [CommandOption("--eval-batch <N>")]
        [Description("Users scored at once (default 2000; with --training-memory the trainer's 1000).")]
        public int? EvalBatch { get; init; }

        [CommandOption("--peak-size <N>")]
        [Description("Side of the square product that measures the GEMM peak.")]
        [DefaultValue(2048)]
        public int PeakSize { get; init; } = 2048;

        [CommandOption("--no-onednn")]
        [Description("Skip oneDNN's sgemm even where libdnnl is installed.")]
        public bool NoOneDnn { get; init; }

        [CommandOption("--scaling")]
        [Description("Cost against items and threads instead (see --scale-items, --scale-threads).")]
        public bool Scaling { get; init; }

        [CommandOption("--scale-items <LIST>")]
        [DefaultValue("5000,20000,50000,100000")]
        public string ScaleItems { get; init; } = "5000,20000,50000,100000";

        [CommandOption("--scale-threads <LIST>")]
        [DefaultValue("1,2")]
        public string ScaleThreads { get; init; } = "1,2";

        [CommandOption("--training-memory")]
        [Description("Run the real trainer (validation every epoch on --eval-users) for --epochs epochs and report peak RSS per epoch beside what each buffer group takes.")]
        public bool TrainingMemory { get; init; }

        [CommandOption("--epochs <N>")]
        [Description("Epochs of the --training-memory run.")]
        [DefaultValue(3)]
        public int Epochs { get; init; } = 3;

        [CommandOption("--clicks-per-user <X>")]
        [Description("Mean clicks per generated user (ML-20M: 86; Gowalla: 34).")]
        [DefaultValue(86.0)]
        public double ClicksPerUser { get; init; } = 86;

        [CommandOption("--json")]
        [Description("Print one JSON object instead of tables.")]
        public bool Json { get; init; }

        /// <summary>The networks --kind names, through the catalogue's spellings, or both of them.</summary>
        /// <summary>--kind names RecVAE: its own benchmark, with an encoder and a decoder step.</summary>
        public bool IsRecVae => (KindName ?? Model) is string k && ModelCatalogue.Default.Find(k) == ModelCatalogue.RecVae;

        public IReadOnlyList<ModelKind> ModelKinds()
        {
            var networks = ModelCatalogue.Default.Kinds.OfType<AutoencoderModel>().ToList();
            string text = KindName ?? Model ?? "both";
            if (text.Trim().Equals("both", StringComparison.OrdinalIgnoreCase)) return networks.Select(n => n.Network).ToList();
            return ModelCatalogue.Default.Find(text) is AutoencoderModel network ? [network.Network]
                : throw new VaeCfException($"--kind must be {string.Join(", ", networks.Select(n => n.ShortName))} or both, got '{text}'.");
        }

        public BenchmarkOptions ToOptions() => new()
        {
            Items = Items,
            Users = Users,
            BatchSize = EffectiveBatchSize,
            Threads = Threads,
            Batches = Batches,
            WarmupBatches = Warmup,
            Models = IsRecVae ? [ModelKind.MultVae] : ModelKinds(),
            EvalUsers = EvalUsers,
            EvalBatchSize = EvalBatch ?? (TrainingMemory ? new Training.TrainingOptions().EvaluationBatchSize : 2000),
            PeakSize = PeakSize,
            UseOneDnn = !NoOneDnn,
            MeanClicksPerUser = ClicksPerUser,
        };

        public static int[] ParseList(string text, string flag)
        {
            var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var values = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) || values[i] <= 0)
                    throw new VaeCfException($"{flag} takes positive integers separated by commas, got '{text}'.");
            if (values.Length == 0) throw new VaeCfException($"{flag} needs at least one value.");
            return values;
        }

        public override ValidationResult Validate()
        {
            try
            {
                ToOptions().Validate();
                ParseList(ScaleItems, "--scale-items");
                ParseList(ScaleThreads, "--scale-threads");
            }
            catch (VaeCfException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        Action<string> log = settings.Json ? _ => { } : line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
        if (settings.TrainingMemory) return TrainingMemoryOutput.Print(TrainingMemoryBenchmark.Run(options, settings.Epochs, log), settings.Json);
        if (settings.IsRecVae)
        {
            if (settings.Scaling || settings.TrainingMemory) throw new VaeCfException("--kind recvae times the training steps only; --scaling and --training-memory are for vae and dae.");
            return PrintRecVae(RecVaeBenchmark.Run(options, log), settings.Json);
        }
        if (settings.Scaling)
        {
            var points = TrainingBenchmark.Scaling(options, Settings.ParseList(settings.ScaleItems, "--scale-items"),
                Settings.ParseList(settings.ScaleThreads, "--scale-threads"), log);
            if (settings.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { scaling = points }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
                return 0;
            }
            var st = new Table().Border(TableBorder.Rounded);
            foreach (var h in new[] { "model", "items", "thr", "s/batch", "ms/batch/1k items", "epoch s", "floor s", "epoch/floor", "CPU s/batch", "CPU ratio", "out-GEMM s", "step/out-GEMMs", "out-GEMM GFLOP/s", "peak" }) st.AddColumn(h);
            foreach (var p in points)
                st.AddRow(p.Model, $"{p.Items:N0}", $"{p.Threads}", $"{p.BatchSeconds:F3}", $"{p.MillisecondsPerBatchPer1kItems:F1}", $"{p.EpochSeconds:F1}",
                    $"{p.FloorSeconds:F1}", $"{p.EpochOverFloor:F2}", $"{p.BatchCpuSeconds:F3}", $"{p.EpochCpuOverCpuFloor:F2}", $"{p.OutputGemmSeconds:F3}",
                    $"{p.PhasesOverOutputGemms:F2} ({p.PhaseClock})", $"{p.OutputGemmGflops:F0}", $"{p.GemmPeakGflops:F0}");
            AnsiConsole.Write(st);
            return 0;
        }

        var report = TrainingBenchmark.Run(options, log);
        if (settings.Json)
        {
            Console.WriteLine(report.ToJson());
            return 0;
        }
        AnsiConsole.MarkupLine($"{Markup.Escape(report.Cpu)}, {report.LogicalCores} logical cores, {report.Threads} thread(s), {report.SimdWidthBits}-bit SIMD, {Markup.Escape(report.Runtime)}");
        AnsiConsole.MarkupLine($"{report.Users:N0} users x {report.Items:N0} items, {report.NonZeros:N0} clicks, batch {report.BatchSize}; load average {report.LoadAverageBefore:F1} -> {report.LoadAverageAfter:F1}");
        string dnnl = report.GemmPeakOneDnnGflops is double d ? $"{d:F0}" : "n/a (libdnnl2 not installed)";
        string coreDnnl = report.GemmPeakCoreOneDnnGflops is double cd ? $"{cd:F0}" : "n/a";
        AnsiConsole.MarkupLine($"GEMM peak on {report.PeakSize}^3, {report.Threads} thread(s), wall time: ours {report.GemmPeakOursGflops:F0} GFLOP/s, oneDNN {dnnl}");
        AnsiConsole.MarkupLine($"GEMM peak of one core, CPU time: ours {report.GemmPeakCoreOursGflops:F0} GFLOP/s, oneDNN {coreDnnl}");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("");
        foreach (var m in report.Models) table.AddColumn($"Mult-{m.Model.ToUpperInvariant()}");
        void Row(string label, Func<ModelBenchmark, string> cell) => table.AddRow([label, .. report.Models.Select(cell)]);
        Row("layers", m => Markup.Escape($"[{string.Join('-', m.Architecture)}]"));
        Row($"s / batch (median of {report.Models[0].BatchesTimed})", m => $"{m.BatchSeconds:F3} ({m.BatchSecondsMin:F3}-{m.BatchSecondsMax:F3})");
        Row("  forward / loss", m => $"{m.ForwardSeconds:F3} / {m.LossSeconds:F3}");
        Row("  backward / Adam", m => $"{m.BackwardSeconds:F3} / {m.OptimizerSeconds:F3}");
        Row("  phases (mean ms)", m => $"{m.PhaseClock}:\n" + string.Join("\n", m.PhaseSeconds.Select(p => $"{p.Key} {p.Value * 1000:F1}")));
        Row("  phases / output GEMMs", m => $"{m.PhaseSeconds.Values.Sum() / m.OutputGemmPhaseClockSeconds:F2} ({m.PhaseClock}: {m.PhaseSeconds.Values.Sum():F3} / {m.OutputGemmPhaseClockSeconds:F3} s)");
        Row("output-layer GEMMs", m => $"{m.OutputGemmSeconds:F3} s, {m.OutputGemmGflops:F0} GFLOP/s, {m.OutputGemmShare:P0} of a batch");
        Row("batches / epoch", m => $"{m.BatchesPerEpoch}");
        Row("s / epoch", m => m.EpochSecondsMeasured is double e ? $"{e:F1} (timed; estimate {m.EpochSecondsEstimated:F1})" : $"{m.EpochSeconds:F1} (batches x median)");
        Row("floor s / epoch", m => $"{m.FloorSeconds:F1}");
        Row("epoch / floor", m => $"{m.EpochOverFloor:F2}");
        Row("CPU s / epoch (floor, ratio)", m => $"{m.EpochCpuSeconds:F1} ({m.CpuFloorSeconds:F1}, {m.EpochCpuOverCpuFloor:F2})");
        Row("eval s", m => m.EvalSeconds is double e ? $"{e:F2} ({m.EvalUsers:N0} users, top-100)" : "skipped");
        Row("allocated / batch", m => $"{m.AllocatedBytesPerBatch / 1024:F1} KiB");
        Row("CPU s / batch", m => $"{m.BatchCpuSeconds:F3} (fwd {m.ForwardCpuSeconds:F3}, loss {m.LossCpuSeconds:F3}, bwd {m.BackwardCpuSeconds:F3}, Adam {m.OptimizerCpuSeconds:F3})");
        Row("CPU / wall", m => $"{m.CpuPerWall:F2}");
        Row("peak RSS after training", m => $"{m.RssAfterTrainingMb:F0} MB");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Peak RSS {report.PeakRssMb:F0} MB");
        return 0;
    }

    private static int PrintRecVae(RecVaeBenchmarkReport r, bool json)
    {
        if (json)
        {
            Console.WriteLine(r.ToJson());
            return 0;
        }
        AnsiConsole.MarkupLine($"{Markup.Escape(r.Cpu)}, {r.LogicalCores} logical cores, {r.Threads} thread(s), {Markup.Escape(r.Runtime)}");
        AnsiConsole.MarkupLine($"{r.Users:N0} users x {r.Items:N0} items, batch {r.BatchSize}, layers {Markup.Escape($"[{string.Join('-', r.Architecture)}]")}; load average {r.LoadAverageBefore:F1} -> {r.LoadAverageAfter:F1}");
        AnsiConsole.MarkupLine($"GEMM peak {r.GemmPeakGflops:F0} GFLOP/s; output-layer GEMMs (latent -> items) {r.OutputGemmSeconds:F3} s/batch, {r.OutputGemmGflops:F0} GFLOP/s");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("encoder step").AddColumn("decoder step");
        void Row(string label, Func<RecVaeStepBenchmark, string> cell) => table.AddRow(label, cell(r.Encoder), cell(r.Decoder));
        Row($"s / step (median of {r.BatchesTimed})", s => $"{s.StepSeconds:F3} ({s.StepSecondsMin:F3}-{s.StepSecondsMax:F3})");
        Row("  forward / loss", s => $"{s.ForwardSeconds:F3} / {s.LossSeconds:F3}");
        Row("  backward / Adam", s => $"{s.BackwardSeconds:F3} / {s.OptimizerSeconds:F3}");
        Row("CPU s / step", s => $"{s.StepCpuSeconds:F3}");
        Row("step / output GEMMs", s => $"{s.StepOverOutputGemm:F2}");
        Row("steps / epoch", s => $"{s.StepsPerEpoch}");
        Row("s / epoch", s => $"{s.EpochShareSeconds:F1}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"epoch ({r.EncoderPasses} encoder + {r.DecoderPasses} decoder passes of {r.BatchesPerPass} batches): {r.EpochSeconds:F1} s; floor {r.FloorSeconds:F1} s; epoch / floor {r.EpochOverFloor:F2}; peak RSS {r.PeakRssMb:F0} MB");
        return 0;
    }
}
