using System.Text.Json;

namespace VaeCf.Tests;

/// <summary>The tool run from a folder that is not the repository: evaluate finds the model's dataset through its config.json.</summary>
public class ToolOutsideRepositoryTests
{
    [Fact]
    public void EvaluateDefaultsToTheDatasetRecordedInTheModel()
    {
        using var files = new DataTestFiles();
        string trainFolder = Directory.CreateDirectory(files.PathOf("train-here")).FullName;
        string elsewhere = Directory.CreateDirectory(files.PathOf("elsewhere")).FullName;
        // The data is given relative to where train runs; the model records its full path.
        File.Copy(Path.Combine(TestData.MovieLensSmall, "ratings.csv"), Path.Combine(trainFolder, "ratings.csv"));
        var (trained, log) = ToolProcess.Run(trainFolder, "train", "--kind", "popularity", "--data", "ratings.csv", "--output", "model", "--no-example");
        Assert.True(trained == 0, log);

        var (code, json) = ToolProcess.Run(elsewhere, "evaluate", "--model", Path.Combine(trainFolder, "model"), "--json");
        Assert.True(code == 0, json);
        using var answer = JsonDocument.Parse(json);
        Assert.True(answer.RootElement.GetProperty("same_training_data").GetBoolean());
        // The bundled data's 60 test users, counted whether or not they have held-out items.
        Assert.Equal(60, answer.RootElement.GetProperty("users_evaluated").GetInt32() + answer.RootElement.GetProperty("users_without_targets").GetInt32());

        // The recorded data gone: one line that names the model's config.json and says what to pass.
        File.Delete(Path.Combine(trainFolder, "ratings.csv"));
        var (missing, error) = ToolProcess.Run(elsewhere, "evaluate", "--model", Path.Combine(trainFolder, "model"));
        Assert.Equal(2, missing);
        Assert.Contains("config.json", error);
        Assert.Contains("pass --data", error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
