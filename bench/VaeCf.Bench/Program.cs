using VaeCf.Bench;

// Usage: VaeCf.Bench gemm [--threads 1,2] [--seconds 1] [--simd Vector512|Vector256|Scalar] [--shape NAME]
if (args.Length == 0 || args[0] != "gemm")
{
    Console.Error.WriteLine("usage: VaeCf.Bench gemm [--threads 1,2] [--seconds 1] [--simd Vector512|Vector256|Scalar] [--shape NAME]");
    return 2;
}
return GemmBench.Run(args[1..]);
