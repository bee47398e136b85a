// The README's "Library" example, compiled with the tests. ReadmeExampleTests checks that the README
// block is exactly the text between the markers below (usings, then the body without its indent),
// so an API change that breaks the example fails the build and an edit to either side fails a test.
// <readme-library-usings>
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Training;
// </readme-library-usings>

namespace VaeCf.Tests;

/// <summary>Compiled, not run: it trains for 200 epochs on paths relative to the repository.</summary>
internal static class ReadmeLibraryExample
{
    public static void Run()
    {
        // <readme-library-body>
        var data = DatasetLoader.Load("data/ml-latest-small", new PrepareOptions());
        var options = new TrainingOptions { Epochs = 200, Anneal = AnnealSchedule.Paper, AnnealCap = 0.2f };
        var result = new Trainer(options).Train(data, ModelConfig.Default(ModelKind.MultVae, data.ItemCount));
        Console.WriteLine(result.Test!.Get(MetricKind.Ndcg, 100).Mean);
        TrainingRunStore.Save("runs/my-vae", result, options, data, "ml-latest-small");

        var (scorer, manifest) = ModelLoader.Load("runs/my-vae");   // any model kind, as an IScorer
        var metrics = new Evaluator().Evaluate(scorer, data.Test.FoldIn, data.Test.Targets,
            [MetricSpec.Parse("ndcg@100"), MetricSpec.Parse("stdrecall@50")]);
        // </readme-library-body>
    }
}
