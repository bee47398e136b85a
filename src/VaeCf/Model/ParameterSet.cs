namespace VaeCf.Model;

/// <summary>One named tensor inside a <see cref="ParameterSet"/>: a row-major view at an offset.</summary>
public sealed record TensorSlot(string Name, int Offset, int Rows, int Columns, bool IsWeight)
{
    public int Length => Rows * Columns;
    public int[] Shape => Rows == 1 && !IsWeight ? [Columns] : [Rows, Columns];
}

/// <summary>
/// Every parameter of a network as named views into one flat buffer, so the optimizer, the
/// gradient buffer, checksums and serialization are each a single loop over <see cref="Values"/>.
/// </summary>
public sealed class ParameterSet
{
    public IReadOnlyList<TensorSlot> Slots { get; }
    public float[] Values { get; }

    public ParameterSet(IReadOnlyList<TensorSlot> slots)
    {
        Slots = slots;
        long total = slots.Count == 0 ? 0 : slots.Max(s => (long)s.Offset + s.Length);
        Values = new float[checked((int)total)];
    }

    public int Count => Values.Length;

    public Span<float> View(TensorSlot slot) => Values.AsSpan(slot.Offset, slot.Length);

    public TensorSlot Slot(string name) => Slots.FirstOrDefault(s => s.Name == name)
        ?? throw new KeyNotFoundException($"No parameter named '{name}'.");

    /// <summary>Lays out weight [in x out] and bias [out] per layer, named like "layers.0.weight".</summary>
    public static IReadOnlyList<TensorSlot> Layout(IReadOnlyList<(int Inputs, int Outputs)> shapes)
    {
        var slots = new List<TensorSlot>();
        long offset = 0;
        for (int l = 0; l < shapes.Count; l++)
        {
            var (inputs, outputs) = shapes[l];
            slots.Add(new TensorSlot($"layers.{l}.weight", checked((int)offset), inputs, outputs, IsWeight: true));
            offset += (long)inputs * outputs;
            slots.Add(new TensorSlot($"layers.{l}.bias", checked((int)offset), 1, outputs, IsWeight: false));
            offset += outputs;
        }
        return slots;
    }
}
