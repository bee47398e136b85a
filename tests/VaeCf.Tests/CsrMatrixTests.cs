using VaeCf.Data;

namespace VaeCf.Tests;

public class CsrMatrixTests
{
    [Fact]
    public void FromRowsSortsAndDeduplicates()
    {
        var m = CsrMatrix.FromRows(5, new[] { new[] { 3, 1, 3 }, Array.Empty<int>(), new[] { 4 } });
        Assert.Equal(new[] { 1, 3 }, m.RowIndices(0).ToArray());
        Assert.Equal(0, m.RowLength(1));
        Assert.Equal(3, m.NonZeros);
        var sub = m.SelectRows(new[] { 2, 0 });
        Assert.Equal(new[] { 4 }, sub.RowIndices(0).ToArray());
        Assert.Equal(new[] { 1, 3 }, sub.RowIndices(1).ToArray());
        Assert.Equal(new[] { 0, 1, 0, 1, 1 }, m.ColumnCounts());
    }
}
