using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace VaeCf.Experiments;

/// <summary>A value read from a grid file, with where it sits (e.g. "grids[2].p_dims") for error messages.</summary>
public abstract record GridNode(string Where);

/// <summary>A single value, as text (numbers are parsed by the key that reads them).</summary>
public sealed record GridScalar(string Where, string Text) : GridNode(Where);

/// <summary>A list of values.</summary>
public sealed record GridList(string Where, IReadOnlyList<GridNode> Items) : GridNode(Where);

/// <summary>A mapping of keys to values, in file order.</summary>
public sealed record GridMap(string Where, IReadOnlyList<KeyValuePair<string, GridNode>> Entries) : GridNode(Where);

/// <summary>
/// Reads a grid file, YAML or JSON, into one neutral tree so both formats share the key checks.
/// Duplicate keys are an error in both: JSON parsers silently keep the last one.
/// </summary>
public static class GridDocument
{
    /// <summary>
    /// Most values one grid file may hold once YAML aliases are expanded. A few hundred bytes of nested
    /// aliases (each list repeating the previous one ten times) would otherwise expand to billions.
    /// </summary>
    public const int MaxValues = 100_000;

    /// <summary>Deepest nesting of lists and mappings a grid file may use (a grid needs three or four levels).</summary>
    public const int MaxDepth = 32;

    /// <summary>Reads a .yaml, .yml or .json grid file; a syntax error, a duplicate key or a file over the bounds is a user error naming the file.</summary>
    public static GridMap Read(string path)
    {
        if (!File.Exists(path)) throw new VaeCfException($"Grid file '{path}' does not exist.");
        string text = File.ReadAllText(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        GridNode root = extension switch
        {
            ".json" => ReadJson(path, text),
            ".yaml" or ".yml" => ReadYaml(path, text),
            _ => throw new VaeCfException($"{path}: a grid file must end in .yaml, .yml or .json."),
        };
        return root as GridMap ?? throw new VaeCfException($"{path}: the grid must be a mapping of keys (model, p_dims, datasets, grids, ...).");
    }

    private static GridNode ReadJson(string path, string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return FromJson(path, document.RootElement, "");
        }
        catch (JsonException e) { throw new VaeCfException($"{path}: not valid JSON ({e.Message})."); }
    }

    private static GridNode FromJson(string path, JsonElement element, string where) => element.ValueKind switch
    {
        JsonValueKind.Object => new GridMap(where, Entries(path, where,
            element.EnumerateObject().Select(p => (p.Name, FromJson(path, p.Value, Join(where, p.Name)))))),
        JsonValueKind.Array => new GridList(where, element.EnumerateArray().Select((e, i) => FromJson(path, e, $"{where}[{i}]")).ToList()),
        JsonValueKind.String => new GridScalar(where, element.GetString()!),
        JsonValueKind.Number => new GridScalar(where, element.GetRawText()),
        JsonValueKind.True => new GridScalar(where, "true"),
        JsonValueKind.False => new GridScalar(where, "false"),
        _ => throw new VaeCfException($"{path}: '{where}' is null; give a value or leave the key out."),
    };

    private static GridNode ReadYaml(string path, string text)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new VaeCfException($"{path}:{e.Start.Line}: not valid YAML ({e.Message})."); }
        if (stream.Documents.Count != 1) throw new VaeCfException($"{path}: expected one YAML document, found {stream.Documents.Count}.");
        var budget = new ExpansionBudget(path);
        return FromYaml(path, stream.Documents[0].RootNode, "", budget, 0);
    }

    /// <summary>Counts values as they are converted, so an alias bomb stops at <see cref="MaxValues"/> instead of exhausting memory.</summary>
    private sealed class ExpansionBudget(string path)
    {
        private int _values;

        public void Take(YamlNode node, int depth)
        {
            if (++_values > MaxValues)
                throw new VaeCfException($"{path}:{node.Start.Line}: the grid expands to more than {MaxValues:N0} values (YAML aliases repeating lists?); write the values out.");
            if (depth > MaxDepth)
                throw new VaeCfException($"{path}:{node.Start.Line}: values nest deeper than {MaxDepth} levels; a grid needs only a few.");
        }
    }

    private static GridNode FromYaml(string path, YamlNode node, string where, ExpansionBudget budget, int depth)
    {
        budget.Take(node, depth);
        return node switch
        {
        YamlMappingNode map => new GridMap(where, Entries(path, where, map.Children.Select(kv =>
        {
            string key = (kv.Key as YamlScalarNode)?.Value ?? throw new VaeCfException($"{path}:{kv.Key.Start.Line}: keys must be plain names.");
            return (key, FromYaml(path, kv.Value, Join(where, key), budget, depth + 1));
        }))),
        YamlSequenceNode list => new GridList(where, list.Children.Select((e, i) => FromYaml(path, e, $"{where}[{i}]", budget, depth + 1)).ToList()),
        YamlScalarNode { Value: null or "" or "~" or "null" } => throw new VaeCfException($"{path}:{node.Start.Line}: '{where}' is empty; give a value or leave the key out."),
        YamlScalarNode scalar => new GridScalar(where, scalar.Value!),
        _ => throw new VaeCfException($"{path}:{node.Start.Line}: '{where}' has an unsupported YAML value (anchors and tags are not supported)."),
        };
    }

    private static List<KeyValuePair<string, GridNode>> Entries(string path, string where, IEnumerable<(string Key, GridNode Value)> pairs)
    {
        var entries = new List<KeyValuePair<string, GridNode>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            if (!seen.Add(key)) throw new VaeCfException($"{path}: key '{Join(where, key)}' appears twice.");
            entries.Add(new(key, value));
        }
        return entries;
    }

    private static string Join(string where, string key) => where.Length == 0 ? key : $"{where}.{key}";
}
