using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Spectre.Console.Cli;
using VaeCf.Cli;
using VaeCf.Persistence;
using VaeCf.Serving;

namespace VaeCf.Tests;

/// <summary>
/// Generated damaged model folders: every kind of damage to a saved Mult-VAE's weights file
/// (header variants per tensor and field, truncation, flipped header bytes, NaN/Inf in every
/// tensor, shapes that disagree with config.json, missing tensors) must be refused on load with a
/// one-line <see cref="VaeCfException"/> naming the file; none may load, crash or serve.
/// </summary>
[Collection(ConsoleOutput.Name)]
public class DamagedModelFolderTests(ServingFixture model) : IClassFixture<ServingFixture>
{
    private sealed record Damage(string Category, string Name, Func<byte[], SafeTensorsHeader, byte[]> Apply);

    private static readonly JsonNode?[] BadFieldValues =
        [null, "F16", -1, 1.5, "x", new JsonArray(), new JsonArray(-1), new JsonArray(1e20), new JsonObject(), new JsonArray(0, 4, 8), true];

    private static int DataStart(byte[] file) => 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);

    private static JsonObject HeaderJson(byte[] file) => JsonNode.Parse(file.AsSpan(8, DataStart(file) - 8))!.AsObject();

    private static byte[] WithHeader(byte[] file, JsonNode header, ReadOnlySpan<byte> data)
    {
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var result = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)json.Length);
        json.CopyTo(result, 8);
        data.CopyTo(result.AsSpan(8 + json.Length));
        return result;
    }

    private static IEnumerable<Damage> Damages(SafeTensorsHeader header)
    {
        // Header variants: each field of each tensor replaced by a value of the wrong kind, or removed.
        foreach (var tensor in header.Tensors)
        {
            foreach (var field in new[] { "dtype", "shape", "data_offsets" })
            {
                for (int v = 0; v < BadFieldValues.Length; v++)
                {
                    int value = v;
                    yield return new("header field", $"{tensor.Name}.{field} = {BadFieldValues[v]?.ToJsonString() ?? "null"}", (file, _) =>
                    {
                        var json = HeaderJson(file);
                        json[tensor.Name]![field] = BadFieldValues[value]?.DeepClone();
                        return WithHeader(file, json, file.AsSpan(DataStart(file)));
                    });
                }
                yield return new("header field", $"{tensor.Name}.{field} removed", (file, _) =>
                {
                    var json = HeaderJson(file);
                    json[tensor.Name]!.AsObject().Remove(field);
                    return WithHeader(file, json, file.AsSpan(DataStart(file)));
                });
            }
            yield return new("header field", $"{tensor.Name} = null", (file, _) =>
            {
                var json = HeaderJson(file);
                json[tensor.Name] = null;
                return WithHeader(file, json, file.AsSpan(DataStart(file)));
            });
        }
        foreach (var top in new JsonNode?[] { new JsonArray(), JsonValue.Create("x"), JsonValue.Create(1), new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = 1 } } })
            yield return new("header top level", top?.ToJsonString() ?? "null", (file, _) => WithHeader(file, top!.DeepClone(), file.AsSpan(DataStart(file))));
        yield return new("header top level", "metadata not an object", (file, _) =>
        {
            var json = HeaderJson(file);
            json["__metadata__"] = new JsonArray("vaecf-model");
            return WithHeader(file, json, file.AsSpan(DataStart(file)));
        });
        yield return new("header top level", "header length over the file", (file, _) =>
        {
            var copy = (byte[])file.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(copy, (ulong)file.Length);
            return copy;
        });

        // Offsets that lie: overlapping, a gap, negative, or swapped between two tensors of the same size.
        yield return new("offsets", "first tensor overlaps the second", (file, h) =>
        {
            var json = HeaderJson(file);
            var second = h.Tensors[1];
            json[second.Name]!["data_offsets"] = new JsonArray(second.Begin - 4, second.End - 4);
            return WithHeader(file, json, file.AsSpan(DataStart(file)));
        });
        yield return new("offsets", "negative begin", (file, h) =>
        {
            var json = HeaderJson(file);
            var first = h.Tensors[0];
            json[first.Name]!["data_offsets"] = new JsonArray(-4, first.End - 4);
            return WithHeader(file, json, file.AsSpan(DataStart(file)));
        });
        yield return new("offsets", "a gap before the last tensor", (file, h) =>
        {
            var json = HeaderJson(file);
            var last = h.Tensors[^1];
            json[last.Name]!["data_offsets"] = new JsonArray(last.Begin + 4, last.End + 4);
            var data = new byte[file.Length - DataStart(file) + 4];
            file.AsSpan(DataStart(file)).CopyTo(data);
            return WithHeader(file, json, data);
        });

        // Truncation anywhere.
        foreach (double at in new[] { 0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999 })
            yield return new("truncated", $"at {at:P1}", (file, _) => file[..(int)(at * file.Length)]);
        yield return new("truncated", "last byte", (file, _) => file[..^1]);
        yield return new("truncated", "one byte appended", (file, _) => [.. file, 0]);

        // Flipped bytes in the header, from fixed seeds.
        for (int seed = 0; seed < 60; seed++)
        {
            int s = seed;
            yield return new("flipped header bytes", $"seed {s}", (file, _) =>
            {
                var random = new Random(s);
                var copy = (byte[])file.Clone();
                int flips = 1 + random.Next(5);
                for (int f = 0; f < flips; f++) copy[8 + random.Next(DataStart(file) - 8)] ^= (byte)(1 + random.Next(255));
                return copy;
            });
        }

        // NaN and infinities at the first and last value of every tensor.
        foreach (var tensor in header.Tensors.Where(t => t.ElementCount > 0))
            foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                foreach (var (where, offset) in new[] { ("first", tensor.Begin), ("last", tensor.End - 4) })
                    yield return new("non-finite", $"{bad} at the {where} value of {tensor.Name}", (file, _) =>
                    {
                        var copy = (byte[])file.Clone();
                        BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(DataStart(file) + (int)offset), bad);
                        return copy;
                    });

        // Valid files that disagree with config.json: a transposed or reshaped tensor, a missing one.
        foreach (var tensor in header.Tensors)
        {
            if (tensor.Shape.Length == 2 && tensor.Shape[0] != tensor.Shape[1])
                yield return new("shape mismatch", $"{tensor.Name} transposed", (file, _) =>
                {
                    var json = HeaderJson(file);
                    json[tensor.Name]!["shape"] = new JsonArray(tensor.Shape[1], tensor.Shape[0]);
                    return WithHeader(file, json, file.AsSpan(DataStart(file)));
                });
            yield return new("shape mismatch", $"{tensor.Name} reshaped", (file, _) =>
            {
                // Same number of values, another shape: [a, b] -> [a * b], [n] -> [n, 1].
                var json = HeaderJson(file);
                json[tensor.Name]!["shape"] = tensor.Shape.Length == 1 ? new JsonArray(tensor.Shape[0], 1) : new JsonArray(tensor.ElementCount);
                return WithHeader(file, json, file.AsSpan(DataStart(file)));
            });
            yield return new("shape mismatch", $"{tensor.Name} missing", (file, h) =>
            {
                // Removed with its bytes, and the later tensors' offsets moved down: a valid file without it.
                var json = HeaderJson(file);
                json.Remove(tensor.Name);
                foreach (var other in h.Tensors.Where(o => o.Begin >= tensor.End))
                    json[other.Name]!["data_offsets"] = new JsonArray(other.Begin - tensor.ByteLength, other.End - tensor.ByteLength);
                var data = file.AsSpan(DataStart(file));
                byte[] kept = [.. data[..(int)tensor.Begin], .. data[(int)tensor.End..]];
                return WithHeader(file, json, kept);
            });
        }
    }

    [Fact]
    public void EveryDamagedFolderIsRefusedInOneLine()
    {
        string dir = model.SaveToTemp();
        try
        {
            string weights = Path.Combine(dir, "model.safetensors");
            var original = File.ReadAllBytes(weights);
            var header = SafeTensors.ReadHeader(weights);
            Assert.True(header.Tensors.Count >= 4);
            var counts = new SortedDictionary<string, int>();
            var loaded = new List<string>();
            foreach (var damage in Damages(header))
            {
                var bytes = damage.Apply(original, header);
                Assert.False(bytes.AsSpan().SequenceEqual(original), $"{damage.Category} / {damage.Name} changed nothing");
                File.WriteAllBytes(weights, bytes);
                try
                {
                    Recommender.Load(dir);
                    loaded.Add($"{damage.Category} / {damage.Name}");
                }
                catch (VaeCfException e)
                {
                    Assert.DoesNotContain('\n', e.Message);
                    Assert.Contains("model.safetensors", e.Message);
                }
                counts[damage.Category] = counts.GetValueOrDefault(damage.Category) + 1;
            }
            Assert.Empty(loaded);
            // The suite's size, per kind of damage (the README's reliability table quotes these).
            Assert.Equal(new Dictionary<string, int>
            {
                ["flipped header bytes"] = 60,
                ["header field"] = header.Tensors.Count * (3 * (BadFieldValues.Length + 1) + 1),
                ["header top level"] = 6,
                ["non-finite"] = header.Tensors.Count(t => t.ElementCount > 0) * 6,
                ["offsets"] = 3,
                ["shape mismatch"] = header.Tensors.Count * 2 + header.Tensors.Count(t => t.Shape.Length == 2 && t.Shape[0] != t.Shape[1]),
                ["truncated"] = 12,
            }, counts);

            // The original bytes load again: the damage, not the folder, was refused.
            File.WriteAllBytes(weights, original);
            Assert.Equal(ServingFixture.Items, Recommender.Load(dir).ItemCount);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TheCliRefusesADamagedFolderWithExitCodeTwo()
    {
        string dir = model.SaveToTemp();
        try
        {
            string weights = Path.Combine(dir, "model.safetensors");
            var original = File.ReadAllBytes(weights);
            var header = SafeTensors.ReadHeader(weights);
            // One damage of each kind through `vaecf recommend --json`, which once crashed on +Inf and answered [] for NaN.
            foreach (var damage in Damages(header).GroupBy(d => d.Category).Select(g => g.First()))
            {
                File.WriteAllBytes(weights, damage.Apply(original, header));
                var app = new CommandApp();
                app.Configure(CliSetup.Configure);
                Assert.Equal(2, app.Run(["recommend", "--model", dir, "--items", "100,101", "--json"]));
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
