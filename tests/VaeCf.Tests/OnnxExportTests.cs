using Microsoft.ML.OnnxRuntime;
using VaeCf.Catalogue;
using VaeCf.Evaluation;
using VaeCf.Export;
using VaeCf.Persistence;

namespace VaeCf.Tests;

/// <summary>The exported ONNX model, run by ONNX Runtime, scores as VaeCf does.</summary>
public class OnnxExportTests(ModelFoldersFixture models, Xunit.Abstractions.ITestOutputHelper log) : IClassFixture<ModelFoldersFixture>
{
    public static TheoryData<string> Kinds => new(ModelFoldersFixture.Kinds);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void OnnxRuntimeGivesVaeCfsScoresAndTop100(string kind)
    {
        string folder = models.Folder(kind);
        string path = Path.Combine(models.Root, kind + ".onnx");
        long bytes = OnnxExporter.Export(folder, path);
        Assert.Equal(new FileInfo(path).Length, bytes);

        var (scorer, manifest) = ModelFolder.Load(folder);
        var histories = models.Histories();
        int users = histories.Rows, items = ModelFoldersFixture.Items;
        var expected = new float[users * items];
        scorer.Score(histories, 0, users, expected);

        var dense = new float[users * items];
        for (int u = 0; u < users; u++)
            foreach (int c in histories.RowIndices(u)) dense[u * items + c] = 1f;
        float[] actual = RunOnnx(path, dense, users, items);

        double worst = 0;
        for (int u = 0; u < users; u++)
        {
            var want = expected.AsSpan(u * items, items);
            var got = actual.AsSpan(u * items, items);
            // Relative to the row's largest score: logits near zero carry the absolute rounding of
            // the row's sums (different summation orders), not a relative one of their own. (VaeCf's
            // tanh, System.Numerics.Tensors', is off by up to 6e-8 absolute near 0: on a barely
            // trained model with logits ~0.02 that alone reached 6e-6 of the row scale.)
            float scale = Math.Max(1e-30f, want.ToArray().Max(MathF.Abs));
            for (int i = 0; i < items; i++)
                worst = Math.Max(worst, MathF.Abs(got[i] - want[i]) / scale);
            for (int i = 0; i < items; i++)
                Assert.True(MathF.Abs(got[i] - want[i]) <= 1e-5f * scale,
                    $"{kind}, user {u}, item {i}: ONNX {got[i]} vs VaeCf {want[i]} (row scale {scale})");
            // The recommendation: history masked, top 100, same items in the same order.
            Assert.Equal(Top(want, histories.RowIndices(u), 100), Top(got, histories.RowIndices(u), 100));
        }
        log.WriteLine($"{kind}: largest |ONNX - VaeCf| / row scale over {users} users x {items} items: {worst:E2}");
        Assert.Equal(users * items, actual.Length);
        Assert.Equal(manifest.Items.Length, items);
    }

    [Fact]
    public void TheFileCarriesTheItemIdsAndTheModelKind()
    {
        string path = Path.Combine(models.Root, "metadata.onnx");
        OnnxExporter.Export(models.Folder("mult-vae"), path);
        using var session = new InferenceSession(path);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("mult-vae", metadata["vaecf.model"]);
        Assert.Equal(models.Data.ItemIds, System.Text.Json.JsonSerializer.Deserialize<string[]>(metadata["vaecf.items"]));
        Assert.Equal("vaecf", session.ModelMetadata.ProducerName);
        var input = session.InputMetadata[OnnxExporter.InputName];
        Assert.Equal([-1, ModelFoldersFixture.Items], input.Dimensions);
        Assert.Equal("batch", input.SymbolicDimensions[0]);
    }

    [Fact]
    public void ExportCommandWritesTheFileAndRefusesToOverwrite()
    {
        string path = Path.Combine(models.Root, "cli.onnx");
        Assert.Equal(0, RunCli("export", "--model", models.Folder("ease"), "--format", "onnx", "--output", path));
        long size = new FileInfo(path).Length;
        Assert.Equal(2, RunCli("export", "--model", models.Folder("ease"), "--output", path));
        Assert.Equal(size, new FileInfo(path).Length);
        Assert.Equal(0, RunCli("export", "--model", models.Folder("mult-dae"), "--output", path, "--overwrite"));
        Assert.NotEqual(size, new FileInfo(path).Length);
        Assert.Equal(2, RunCli("export", "--model", models.Folder("ease"), "--format", "tflite", "--output", path + "2"));
        Assert.Equal(2, RunCli("export", "--model", Path.Combine(models.Root, "missing"), "--output", path + "3"));
        Assert.False(File.Exists(path + "3"));
    }

    [Fact]
    public void AModelOverTheProtobufLimitIsRefusedAndNothingIsWritten()
    {
        var (scorer, manifest) = ModelFolder.Load(models.Folder("ease"));
        string path = Path.Combine(models.Root, "too-big.onnx");
        long size = OnnxExporter.Build(scorer, manifest).Size;
        var error = Assert.Throws<VaeCfException>(() => OnnxExporter.Export(scorer, manifest, path, maxBytes: size - 1));
        Assert.Contains("2 GiB", error.Message);
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(models.Root, "too-big.onnx*"));
        Assert.Equal(size, OnnxExporter.Export(scorer, manifest, path, maxBytes: size));
    }

    [Fact]
    public void ProtobufEncodingMatchesTheWireFormatByHand()
    {
        // Field 1 varint 150 -> 08 96 01 (protobuf's own example); field 2 string "hi" -> 12 02 68 69;
        // field 3 fixed32 1.0f -> 1d 00 00 80 3f; field 4 nested {1: 1} -> 22 02 08 01; field 5 int64 -1 -> 28 + ten bytes.
        var message = new ProtoMessage().Int(1, 150).String(2, "hi").Float(3, 1f).Message(4, new ProtoMessage().Int(1, 1)).Int(5, -1);
        byte[] expected =
        [
            0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69, 0x1d, 0x00, 0x00, 0x80, 0x3f, 0x22, 0x02, 0x08, 0x01,
            0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        Assert.Equal(expected, message.ToArray());
        Assert.Equal(expected.Length, message.Size);
        // Raw floats: field 9, length 8, then the two floats little-endian.
        Assert.Equal([0x4a, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40], new ProtoMessage().RawFloats(9, new[] { 1f, 2f }).ToArray());
    }

    private static int RunCli(params string[] args)
    {
        var app = new Spectre.Console.Cli.CommandApp();
        app.Configure(Cli.CliSetup.Configure);
        return app.Run(args);
    }

    private static float[] RunOnnx(string path, float[] dense, int users, int items)
    {
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(dense, [users, items]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [OnnxExporter.InputName], [input], [OnnxExporter.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static int[] Top(ReadOnlySpan<float> scores, ReadOnlySpan<int> history, int k)
    {
        var masked = scores.ToArray();
        foreach (int c in history) masked[c] = float.NegativeInfinity;
        var top = new int[k];
        int n = TopK.Select(masked, k, top);
        return top[..n];
    }
}
