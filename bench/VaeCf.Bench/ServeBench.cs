using System.Diagnostics;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Serving;

namespace VaeCf.Bench;

/// <summary>
/// Where a micro-batch's time goes in the library alone (no HTTP): an untrained ML-20M-size
/// Mult-VAE, random 86-item histories, k = 100; per batch size, the median of each phase
/// (mapping IDs, hidden layers, output layer, masking + top-k) and of the whole
/// <see cref="Recommender.RecommendBatch"/> call.
/// </summary>
public static class ServeBench
{
    private const int Hidden = 600; // the decoder's hidden layer, the output layer's depth
    public static int Run(string[] args)
    {
        int items = 20108, history = 86, k = 100, seconds = 2, threads = Environment.ProcessorCount;
        string? modelFolder = null;
        int[] sizes = [1, 16, 64];
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--items": items = int.Parse(args[++i]); break;
                case "--history": history = int.Parse(args[++i]); break;
                case "-k": k = int.Parse(args[++i]); break;
                case "--seconds": seconds = int.Parse(args[++i]); break;
                case "--threads": threads = int.Parse(args[++i]); break;
                case "--sizes": sizes = args[++i].Split(',').Select(int.Parse).ToArray(); break;
                case "--model": modelFolder = args[++i]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        AutoencoderNetwork network;
        Recommender recommender;
        if (modelFolder is null)
        {
            network = new AutoencoderNetwork(new ModelConfig { Kind = ModelKind.MultVae, ItemCount = items, PDims = [200, Hidden] }, new GemmEngine(threads));
            network.Initialize(1);
            var manifest = new ModelManifest
            {
                Model = VaeCf.Catalogue.ModelCatalogue.MultVae.Name,
                Items = Enumerable.Range(0, items).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            };
            recommender = new Recommender(network, manifest);
        }
        else
        {
            // A trained model: its bounds (and so the screen's candidate count) can differ from an untrained one's.
            recommender = Recommender.Load(modelFolder, gemm: new GemmEngine(threads));
            network = recommender.Scorer as AutoencoderNetwork ?? throw new InvalidOperationException($"{modelFolder} is not an autoencoder.");
            items = recommender.ItemCount;
        }
        int depth = network.Shapes[network.LayerCount - 1].Inputs;
        var ids = recommender.Manifest.Items;
        var rng = new Random(7);
        var pool = Enumerable.Range(0, 512).Select(_ => new RecommendationRequest(
            Enumerable.Range(0, history).Select(_ => ids[rng.Next(items)]).ToArray(), k)).ToArray();
        Console.WriteLine($"{items:N0} items, {(modelFolder is null ? "untrained" : modelFolder)}, {depth}-unit decoder output, {history}-item histories, k = {k}, {threads} thread(s)");
        Console.WriteLine("batch | path     | whole call | per request | prepare | hidden | output | select | full output+select | candidates | whole call, screen off (interleaved)   (ms: median (min))");
        // Batches the recommender screens (8-bit products, then exact rescoring of the few items
        // that can make the top k) are timed along that path: output = the screen, select = bounds,
        // rescoring and top k; larger batches along the full fp32 one.
        var screened = ScreenedOutputLayer.TryCreate(network);
        foreach (int size in sizes)
        {
            var batch = pool.Take(size).ToArray();
            var whole = new List<double>();
            var prepare = new List<double>();
            var hidden = new List<double>();
            var output = new List<double>();
            var select = new List<double>();
            var fullPath = new List<double>(); // the fp32 path for the same rows, timed in the same loop as the screen
            long candidateTotal = 0, screenedRows = 0;
            var ws = network.CreateWorkspace(Recommender.ScoreChunkRows);
            var scores = new float[size * items];
            var top = new int[k];
            var packed = PackedOutputLayer.TryCreate(network);
            bool screening = screened is not null && screened.Suits(size, k);
            var topScores = new float[k];
            // Two loops, not one alternating: the recommender and this bench each hold a packed copy
            // of the output weights, and alternating would stream both through the caches.
            // Warm-up: past the tiered JIT's first tiers and on-stack replacement.
            for (int rep = 0; rep < 120; rep++) { recommender.ScreeningEnabled = rep % 2 == 0; recommender.RecommendBatch(batch); }
            // Whole calls alternate with calls that skip the screen (full fp32 scoring, the same
            // answers), so both see the same machine: the before and after of screening.
            var wholeUnscreened = new List<double>();
            var clock = Stopwatch.StartNew();
            for (int rep = 0; clock.Elapsed.TotalSeconds < seconds / 2.0 || rep < 10; rep++)
            {
                recommender.ScreeningEnabled = rep % 2 == 0;
                long t0 = Stopwatch.GetTimestamp();
                recommender.RecommendBatch(batch);
                (rep % 2 == 0 ? whole : wholeUnscreened).Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            recommender.ScreeningEnabled = true;
            clock.Restart();
            for (int rep = 0; clock.Elapsed.TotalSeconds < seconds / 2.0 || rep < 5; rep++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var prepared = batch.Select(recommender.Prepare).ToArray();
                prepare.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                var pointers = new int[size + 1];
                for (int r = 0; r < size; r++) pointers[r + 1] = pointers[r] + prepared[r].History.Length;
                var columns = prepared.SelectMany(p => p.History).ToArray();
                var csr = new CsrMatrix(size, items, pointers, columns);
                t0 = Stopwatch.GetTimestamp();
                network.ForwardHidden(ws, csr, ws.RowRange(0, size));
                hidden.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                var input = network.OutputLayerInput(ws, size);
                t0 = Stopwatch.GetTimestamp();
                if (screening) screened!.Screen(input, size);
                else packed!.Forward(input, size, scores);
                output.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                t0 = Stopwatch.GetTimestamp();
                for (int r = 0; r < size; r++)
                {
                    if (screening)
                    {
                        screened!.SelectTop(r, input.Slice(r * depth, depth), k, prepared[r].History, [], top, topScores, out int candidates);
                        candidateTotal += candidates;
                        screenedRows++;
                        continue;
                    }
                    var row = scores.AsSpan(r * items, items);
                    foreach (int c in prepared[r].History) row[c] = float.NegativeInfinity;
                    TopK.Select(row, k, top);
                }
                select.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                if (!screening) continue;
                // Interleaved with the screen, so both see the same machine: what full scoring costs these rows.
                t0 = Stopwatch.GetTimestamp();
                packed!.Forward(input, size, scores);
                for (int r = 0; r < size; r++)
                {
                    var row = scores.AsSpan(r * items, items);
                    foreach (int c in prepared[r].History) row[c] = float.NegativeInfinity;
                    TopK.Select(row, k, top);
                }
                fullPath.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            static string Cell(List<double> x) { x.Sort(); return $"{x[x.Count / 2]:F3} ({x[0]:F3})"; }
            whole.Sort();
            string full = fullPath.Count > 0 ? Cell(fullPath) : "-";
            string candidateMean = screenedRows > 0 ? $"{(double)candidateTotal / screenedRows:F0}" : "-";
            Console.WriteLine($"{size,5} | {(screening ? "screened" : "full"),-8} | {Cell(whole)} | {whole[whole.Count / 2] / size,7:F4} | {Cell(prepare)} | {Cell(hidden)} | {Cell(output)} | {Cell(select)} | {full} | {candidateMean} | {(screening ? Cell(wholeUnscreened) : "-")}   ({whole.Count} runs)");
        }
        return 0;
    }
}
