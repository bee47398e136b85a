using VaeCf.Baselines;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model.RecVae;
using VaeCf.Persistence;
using VaeCf.Split;

namespace VaeCf.Tests.RecVae;

public class RecVaeTrainingTests
{
    /// <summary>
    /// Users in four taste groups, each group liking its own block of 15 items (plus a little noise):
    /// popularity cannot tell the groups apart, a model that reads the history can.
    /// </summary>
    internal static SplitDataset GroupedSplit(int seed = 1)
    {
        const int items = 60, groups = 4, block = items / groups;
        var rng = new Random(seed);
        List<int>[] Users(int count, int fromBlock, int noise, out List<int>[] heldOut, int heldOutCount)
        {
            var rows = new List<int>[count];
            heldOut = new List<int>[count];
            for (int u = 0; u < count; u++)
            {
                int g = rng.Next(groups);
                var liked = Enumerable.Range(g * block, block).OrderBy(_ => rng.Next()).ToList();
                rows[u] = liked.Take(fromBlock).ToList();
                for (int n = 0; n < noise; n++) rows[u].Add(rng.Next(items));
                heldOut[u] = liked.Skip(fromBlock).Take(heldOutCount).ToList();
            }
            return rows;
        }
        var train = Users(240, 8, 1, out _, 0);
        var validationFoldIn = Users(40, 5, 0, out var validationTargets, 4);
        var testFoldIn = Users(40, 5, 0, out var testTargets, 4);
        HeldOutSet Held(string prefix, List<int>[] foldIn, List<int>[] targets) => new()
        {
            UserIds = Enumerable.Range(0, foldIn.Length).Select(i => $"{prefix}{i}").ToArray(),
            FoldIn = CsrMatrix.FromRows(items, foldIn),
            Targets = CsrMatrix.FromRows(items, targets),
        };
        return new SplitDataset
        {
            ItemIds = Enumerable.Range(0, items).Select(i => $"item{i}").ToArray(),
            TrainUserIds = Enumerable.Range(0, train.Length).Select(i => $"u{i}").ToArray(),
            Train = CsrMatrix.FromRows(items, train),
            Validation = Held("v", validationFoldIn, validationTargets),
            Test = Held("t", testFoldIn, testTargets),
        };
    }

    private static readonly RecVaeConfig SmallConfig = new() { HiddenSize = 32, LatentSize = 8, EncoderLayers = 3 };

    [Fact]
    public void LearnsTasteGroupsFarBeyondPopularity()
    {
        var data = GroupedSplit();
        var options = new RecVaeTrainingOptions { Epochs = 12, BatchSize = 60, LearningRate = 3e-3f, Threads = 2, Seed = 3 };
        var result = new RecVaeTrainer(options).Train(data, SmallConfig);
        var popularity = new Evaluator().Evaluate(PopularityScorer.Fit(data.Train), data.Validation.FoldIn, data.Validation.Targets);
        double popularityNdcg = popularity.Get(MetricKind.Ndcg, 100).Mean;
        double ndcg = result.BestValidation!.Get(MetricKind.Ndcg, 100).Mean;
        double first = result.History[0].Ndcg100;
        Assert.Equal(12, result.History.Count);
        // Each held-out user's 4 targets lie among the 10 unseen items of its block. A model that found
        // the groups ranks those 10 first, in an order the history cannot decide: expected NDCG@100
        // = 0.4 * sum_{i<=10} 1/log2(i+1) / IDCG(4) = 0.709, the ceiling. Popularity scores about 0.42.
        Assert.True(ndcg > 0.6, $"RecVAE validation NDCG@100 {ndcg:F3}");
        Assert.True(ndcg > popularityNdcg + 0.15, $"RecVAE {ndcg:F3} vs popularity {popularityNdcg:F3}");
        Assert.True(ndcg > first + 0.05, $"NDCG should rise from the first epoch's {first:F3}");
        Assert.True(result.Test!.Get(MetricKind.Ndcg, 100).Mean > 0.55);
        // The returned network holds the best epoch's parameters.
        var again = new Evaluator().Evaluate(result.Network, data.Validation.FoldIn, data.Validation.Targets);
        Assert.Equal(result.History.Single(h => h.Epoch == result.BestEpoch).Ndcg100, again.Get(MetricKind.Ndcg, 100).Mean, 12);
        Assert.All(result.History, h => Assert.True(double.IsFinite(h.TrainLoss)));
    }

    [Fact]
    public void SameSeedSameBitsWhateverTheThreadCount()
    {
        var data = GroupedSplit();
        var options = new RecVaeTrainingOptions { Epochs = 2, BatchSize = 50, Threads = 1, Seed = 5 };
        var a = new RecVaeTrainer(options).Train(data, SmallConfig);
        var b = new RecVaeTrainer(options with { Threads = 2 }).Train(data, SmallConfig);
        Assert.Equal(a.Network.Encoder.Parameters.Values, b.Network.Encoder.Parameters.Values);
        Assert.Equal(a.Network.DecoderParameters.Values, b.Network.DecoderParameters.Values);
        Assert.Equal(a.History.Select(h => h.TrainLoss), b.History.Select(h => h.TrainLoss));
        var c = new RecVaeTrainer(options with { Seed = 6 }).Train(data, SmallConfig);
        Assert.NotEqual(a.Network.DecoderParameters.Values, c.Network.DecoderParameters.Values);
    }

    [Fact]
    public void ConstantBetaTrainsToo()
    {
        var data = GroupedSplit(seed: 2);
        var options = new RecVaeTrainingOptions { Epochs = 3, BatchSize = 100, Beta = 0.2f, Threads = 1 };
        var result = new RecVaeTrainer(options).Train(data, SmallConfig);
        Assert.All(result.History, h => Assert.Equal(0.2f, h.Beta));
        Assert.All(result.History, h => Assert.True(double.IsFinite(h.TrainLoss)));
    }

    [Fact]
    public void SaveAndLoadGiveBitIdenticalScores()
    {
        var data = GroupedSplit();
        var options = new RecVaeTrainingOptions { Epochs = 2, BatchSize = 100, Threads = 1 };
        var trained = new RecVaeTrainer(options).Train(data, SmallConfig).Network;
        string dir = Directory.CreateTempSubdirectory("vaecf-recvae-").FullName;
        try
        {
            RecVaeStore.Save(dir, trained, new ModelManifest { Model = "ignored", Items = data.ItemIds }, options);
            var (loaded, manifest) = RecVaeStore.Load(dir);
            Assert.Equal("recvae", manifest.Model);
            Assert.Equal(SmallConfig with { ItemCount = 60, MixtureWeights = loaded.Config.MixtureWeights }, loaded.Config);
            Assert.Equal(SmallConfig.MixtureWeights, loaded.Config.MixtureWeights);
            var fold = data.Test.FoldIn;
            var expected = new float[fold.Rows * 60];
            var actual = new float[fold.Rows * 60];
            trained.Score(fold, 0, fold.Rows, expected);
            loaded.Score(fold, 0, fold.Rows, actual);
            Assert.Equal(expected, actual);
            var tensors = ModelStore.ReadTensors(dir);
            Assert.Equal([32, 8], tensors["encoder.fc_mu.weight"].Shape);
            Assert.Equal([8, 60], tensors["decoder.weight"].Shape);
            Assert.Equal([32], tensors["encoder.ln3.weight"].Shape);

            // A damaged config names the file and the field.
            string config = Path.Combine(dir, ModelStore.ConfigFile);
            File.WriteAllText(config, File.ReadAllText(config).Replace("\"latent_size\"", "\"latent_sizes\""));
            var error = Assert.Throws<VaeCfException>(() => RecVaeStore.Load(dir));
            Assert.Contains("hyperparameters.latent_size", error.Message);
            Assert.Contains(ModelStore.ConfigFile, error.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TrainingStepsAllocateNoBuffers()
    {
        // One thread, so every loop runs on this thread and its allocations are counted here. The
        // workspace holds every buffer; what a step may still allocate is a few small closures.
        var data = GroupedSplit();
        var net = new RecVaeNetwork(SmallConfig with { ItemCount = 60 }, new VaeCf.Numerics.GemmEngine(1));
        net.Initialize(1);
        var prior = new RecVaeEncoder(net.Config);
        prior.CopyFrom(net.Encoder);
        var ws = net.CreateWorkspace(100, training: true, net.Gemm);
        var encoderAdam = new VaeCf.Training.AdamOptimizer(net.Encoder.Parameters, VaeCf.Training.OptimizerKind.Adam, 1e-3f, 0f, 1);
        var decoderAdam = new VaeCf.Training.AdamOptimizer(net.DecoderParameters, VaeCf.Training.OptimizerKind.Adam, 1e-3f, 0f, 1);
        var draws = new VaeCf.Model.TrainingDraws(1, 1);
        var rows = Enumerable.Range(0, 100).ToArray();
        void Steps()
        {
            net.ForwardTraining(ws, data.Train, rows, 0.5f, draws);
            net.NegativeLogLikelihood(ws, data.Train, rows);
            net.PriorKl(ws, prior, data.Train, rows, 0.005f, null);
            net.BackwardEncoder(ws);
            encoderAdam.Step(net.Encoder.Gradients);
            net.ForwardTraining(ws, data.Train, rows, 0f, draws);
            net.NegativeLogLikelihood(ws, data.Train, rows);
            net.BackwardDecoder(ws);
            decoderAdam.Step(net.DecoderGradients);
        }
        Steps();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Steps();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The smallest buffer of this workspace (one layer's 100 x 32 activations) is 12.8 KB.
        Assert.True(allocated < 8_000, $"a training step allocated {allocated} bytes");
    }

    [Fact]
    public void OptionsAndConfigRejectImpossibleValues()
    {
        Assert.Throws<VaeCfException>(() => new RecVaeTrainingOptions { EncoderPasses = 0 }.Validate());
        Assert.Throws<VaeCfException>(() => new RecVaeTrainingOptions { Gamma = -1 }.Validate());
        Assert.Throws<VaeCfException>(() => new RecVaeConfig { ItemCount = 5, MixtureWeights = [0.5, 0.5, 0.5] }.Validate());
        Assert.Throws<VaeCfException>(() => new RecVaeConfig { ItemCount = 5, LayerNormEpsilon = 0 }.Validate());
    }
}
