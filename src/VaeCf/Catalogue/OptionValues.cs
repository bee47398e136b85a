using System.Collections.Immutable;

namespace VaeCf.Catalogue;

/// <summary>
/// Values given for declared <see cref="ModelOption"/>s, by key; an option not given reads as its
/// default. Immutable: <see cref="With{T}"/> returns a copy.
/// </summary>
public sealed class OptionValues
{
    /// <summary>No value given: every option reads as its default.</summary>
    public static readonly OptionValues None = new(ImmutableDictionary<string, object>.Empty);

    private readonly ImmutableDictionary<string, object> _values;

    private OptionValues(ImmutableDictionary<string, object> values) => _values = values;

    /// <summary>The value given for <paramref name="option"/>, or its default.</summary>
    public T Get<T>(ModelOption<T> option) where T : notnull => _values.TryGetValue(option.Key, out var v) ? (T)v : option.Default;

    /// <summary>The value given for <paramref name="option"/>, or its default, untyped.</summary>
    public object GetValue(ModelOption option) => _values.TryGetValue(option.Key, out var v) ? v : option.DefaultValue;

    /// <summary>Whether a value was given for option <paramref name="key"/>.</summary>
    public bool IsSet(string key) => _values.ContainsKey(key);

    /// <summary>A copy with <paramref name="option"/> set to <paramref name="value"/> (not checked; <see cref="ModelDefinition.Validate"/> checks).</summary>
    public OptionValues With<T>(ModelOption<T> option, T value) where T : notnull => new(_values.SetItem(option.Key, value));

    /// <summary>Sets <paramref name="option"/> from text, checked against its declaration (the error names <paramref name="where"/>).</summary>
    public OptionValues WithParsed(ModelOption option, string text, string where) => new(_values.SetItem(option.Key, option.Parse(text, where)));

    /// <summary>The values given, by key.</summary>
    public IEnumerable<KeyValuePair<string, object>> Given => _values;
}
