namespace VaeCf.Persistence;

/// <summary>The fixed text of each enum value in config.json, both ways.</summary>
internal sealed class EnumText<T>(string field, params (T Value, string Text)[] pairs) where T : struct, Enum
{
    public string Text(T value) => pairs.First(p => p.Value.Equals(value)).Text;

    public T Parse(string? text, string path)
    {
        foreach (var (value, name) in pairs) if (name == text) return value;
        throw new VaeCfException($"{path}: '{field}' is '{text}', expected one of {string.Join(", ", pairs.Select(p => p.Text))}.");
    }
}
