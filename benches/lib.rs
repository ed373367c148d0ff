//! Benchmarks and load harnesses for CompanyOS live in `benches/`; this library is
//! empty and exists so that the package has a target besides its benches.
//! Figures and the commands that produce them are in BENCHMARKS.md.
