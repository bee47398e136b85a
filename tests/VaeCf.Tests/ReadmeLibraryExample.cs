// The README's "Library" example, compiled with the tests. ReadmeExampleTests checks that the README
// block is exactly the text between the markers below (usings, then the body without its indent),
// so an API change that breaks the example fails the build and an edit to either side fails a test.
// <readme-library-usings>
using VaeCf.Catalogue;
using VaeCf.Evaluation;
using VaeCf.Split;
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
        var settings = new ModelSettings { Training = new TrainingOptions { Epochs = 200, Anneal = AnnealSchedule.Paper, AnnealCap = 0.2f } };
        var result = FitPipeline.Fit(ModelCatalogue.MultVae, data, settings);   // or MultDae, Ease, Popularity
        Console.WriteLine(result.Test!.Get(MetricKind.Ndcg, 100).Mean);
        ModelFolder.Save("runs/my-vae", result, data, "ml-latest-small");

        var (scorer, manifest) = ModelFolder.Load("runs/my-vae");   // any model kind, as an IScorer
        var metrics = new Evaluator().Evaluate(scorer, data.Test.FoldIn, data.Test.Targets,
            [MetricSpec.Parse("ndcg@100"), MetricSpec.Parse("stdrecall@50")]);
        // </readme-library-body>
    }
}
