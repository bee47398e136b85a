using VaeCf.Model;

namespace VaeCf.Tests;

public class ItemMajorBatchTests
{
    /// <summary>A random CSR batch with empty rows and a repeated column inside one row.</summary>
    private static (int[] Pointers, int[] Columns, float[] Values) RandomBatch(int rows, int items, int seed)
    {
        var rng = new Random(seed);
        var pointers = new int[rows + 1];
        var columns = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < rows; r++)
        {
            pointers[r] = columns.Count;
            int count = r % 7 == 3 ? 0 : rng.Next(1, 12);
            for (int k = 0; k < count; k++)
            {
                columns.Add(rng.Next(items));
                values.Add(rng.NextSingle() * 2 - 1);
            }
            if (r == 5 && count > 0) { columns.Add(columns[^1]); values.Add(0.75f); }
        }
        pointers[rows] = columns.Count;
        return (pointers, columns.ToArray(), values.ToArray());
    }

    [Fact]
    public void IndexHoldsEveryEntryOnceUnderItsItemInRowOrder()
    {
        const int rows = 40, items = 30;
        var (pointers, columns, values) = RandomBatch(rows, items, 1);
        var index = new ItemMajorBatch(items);
        index.Build(rows, pointers, columns, values);

        Assert.Equal(index.Items.Count, index.Items.Distinct().Count());
        Assert.Equal(columns.Distinct().OrderBy(c => c), index.Items.OrderBy(c => c));
        Assert.Equal(columns.Length, index.Rows.Length);
        for (int s = 0; s < index.Items.Count; s++)
        {
            int item = index.Items[s];
            var expected = new List<(int Row, float Value)>();
            for (int r = 0; r < rows; r++)
                for (int e = pointers[r]; e < pointers[r + 1]; e++)
                    if (columns[e] == item) expected.Add((r, values[e]));
            var actual = new List<(int Row, float Value)>();
            for (int e = index.Pointers[s]; e < index.Pointers[s + 1]; e++) actual.Add((index.Rows[e], index.Values[e]));
            Assert.Equal(expected, actual);
        }
        for (int item = 0; item < items; item++) Assert.Equal(columns.Contains(item), index.Contains(item));
    }

    [Fact]
    public void ItemsAscendAndRebuildingForgetsThePreviousBatch()
    {
        const int items = 50;
        var first = RandomBatch(10, items, 2);
        var second = RandomBatch(10, items, 3);
        var index = new ItemMajorBatch(items);
        index.Build(10, first.Pointers, first.Columns, first.Values);
        Assert.Equal(index.Items.OrderBy(i => i), index.Items);
        index.Build(10, second.Pointers, second.Columns, second.Values);
        Assert.Equal(second.Columns.Distinct().OrderBy(i => i), index.Items);
        for (int item = 0; item < items; item++) Assert.Equal(second.Columns.Contains(item), index.Contains(item));
    }

    [Fact]
    public void RowsAscendOnlyWhenEveryRowsColumnsStrictlyAscend()
    {
        var index = new ItemMajorBatch(10);
        index.Build(2, [0, 2, 4], [1, 5, 0, 9], [1f, 1f, 1f, 1f]);
        Assert.True(index.RowsAscend);
        index.Build(2, [0, 2, 4], [1, 5, 9, 0], [1f, 1f, 1f, 1f]);
        Assert.False(index.RowsAscend);
        index.Build(1, [0, 2], [3, 3], [1f, 1f]);
        Assert.False(index.RowsAscend);
    }

    [Theory]
    [InlineData(600, 1)]
    [InlineData(600, 2)]
    [InlineData(200, 3)]
    public void ItemMajorForwardHasTheBitsOfTheRowMajorOne(int outputs, int parts)
    {
        const int rows = 64, items = 90;
        var rng = new Random(7);
        var csr = Data.CsrMatrix.FromRows(items, Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, rng.Next(0, 20)).Select(_ => rng.Next(items)).ToArray()).ToList());
        var values = Enumerable.Range(0, csr.NonZeros).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        var weight = Enumerable.Range(0, items * outputs).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        var bias = Enumerable.Range(0, outputs).Select(_ => rng.NextSingle() - 0.5f).ToArray();

        var rowMajor = new float[rows * outputs];
        SparseInputLayer.Forward(rowMajor, rows, outputs, csr.RowPointers, csr.ColumnIndices, values, weight, bias);
        var index = new ItemMajorBatch(items);
        index.Build(rows, csr.RowPointers, csr.ColumnIndices, values);
        Assert.True(index.RowsAscend);
        var itemMajor = new float[rows * outputs];
        for (int p = 0; p < parts; p++)
            SparseInputLayerByItem.Forward(itemMajor, rows, outputs, outputs * p / parts / 16 * 16, p + 1 == parts ? outputs : outputs * (p + 1) / parts / 16 * 16,
                index, weight, bias);
        for (int i = 0; i < rowMajor.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(rowMajor[i]), BitConverter.SingleToInt32Bits(itemMajor[i]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void PartsAreContiguousCoverEverySlotAndSplitEntriesEvenly(int parts)
    {
        const int rows = 200, items = 500;
        var (pointers, columns, values) = RandomBatch(rows, items, 4);
        var index = new ItemMajorBatch(items);
        index.Build(rows, pointers, columns, values);
        Assert.Equal(0, index.PartStart(0, parts));
        Assert.Equal(index.Items.Count, index.PartStart(parts, parts));
        int total = index.Rows.Length;
        for (int p = 0; p < parts; p++)
        {
            int start = index.PartStart(p, parts), end = index.PartStart(p + 1, parts);
            Assert.True(start <= end);
            int entries = index.Pointers[end] - index.Pointers[start];
            // A part can overshoot its share by at most one item's entries.
            int largestItem = Enumerable.Range(0, index.Items.Count).Max(s => index.Pointers[s + 1] - index.Pointers[s]);
            Assert.InRange(entries, 0, total / parts + largestItem + 1);
        }
    }

    [Theory]
    [InlineData(600, 1)]
    [InlineData(600, 3)]
    [InlineData(200, 2)]
    [InlineData(37, 2)]
    public void ItemMajorGradientHasTheBitsOfTheRowMajorOne(int outputs, int parts)
    {
        const int rows = 64, items = 90;
        var (pointers, columns, values) = RandomBatch(rows, items, 5 + outputs);
        var rng = new Random(6);
        var dOutput = new float[rows * outputs];
        for (int i = 0; i < dOutput.Length; i++) dOutput[i] = rng.NextSingle() * 4 - 2;

        var rowMajor = new float[items * outputs];
        SparseInputLayer.BackwardWeight(rowMajor, outputs, 0, outputs, rows, pointers, columns, values, dOutput);

        var index = new ItemMajorBatch(items);
        index.Build(rows, pointers, columns, values);
        var itemMajor = new float[items * outputs];
        // Garbage in the touched rows: they must be overwritten, not added to.
        foreach (int item in index.Items) itemMajor.AsSpan(item * outputs, outputs).Fill(float.NaN);
        for (int p = 0; p < parts; p++)
            SparseInputLayerByItem.BackwardWeight(itemMajor, outputs, index, index.PartStart(p, parts), index.PartStart(p + 1, parts), dOutput);

        for (int i = 0; i < rowMajor.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(rowMajor[i]), BitConverter.SingleToInt32Bits(itemMajor[i]));
    }
}
