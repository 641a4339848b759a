# R comparators for benchmarks/bench_eb.py (empirical Bayes normal means).
#
# Usage: Rscript bench_eb_r.R METHOD DATA N GRID K OUT
#   METHOD  ash_nopenalty | ash_default | ebnm | mixsqp_posterior | check
#   DATA    2 N float64 (x then s), as NumPy's tofile writes them
#   GRID    K float64: the prior scales (0 first: the point mass at 0)
#   OUT     written: wall seconds, CPU seconds (user + system), K' (the length of the grid R used: ash
#           picks its own), the K' scales, the K' fitted weights, then the
#           N posterior means (float64)
# "check" prints which of ashr, ebnm, mixsqp load (one per line) and exits.
#
# Only the call itself is timed (reading the data is not): for ash and ebnm the
# whole call (grid, likelihood, fit, posterior summaries); for mixsqp the
# likelihood matrix, the fit and a posterior written here by hand (mean, sd,
# lfdr, lfsr of a normal scale mixture with a point mass at 0).
# The packages are looked up on R's library path (R_LIBS_USER included).

args <- commandArgs(trailingOnly = TRUE)
method <- args[1]

if (method == "check") {
  for (pkg in c("ashr", "ebnm", "mixsqp")) {
    ok <- suppressWarnings(suppressMessages(
      requireNamespace(pkg, quietly = TRUE)))
    cat(pkg, if (ok) as.character(utils::packageVersion(pkg)) else "missing",
        "\n")
  }
  quit(status = 0)
}

n <- as.integer(args[3])
K <- as.integer(args[5])
xs <- readBin(args[2], "double", 2 * n)
x <- xs[1:n]
s <- xs[(n + 1):(2 * n)]
rm(xs)
grid <- readBin(args[4], "double", K)

posterior_by_hand <- function(x, s, grid, w) {
  # theta ~ sum_k w_k N(0, grid_k^2) (grid_1 = 0: a point mass), x ~ N(theta, s^2)
  v <- outer(s^2, grid^2, `+`)
  logl <- -0.5 * (log(2 * pi * v) + x^2 / v)
  logl <- logl - apply(logl, 1, max)
  r <- exp(logl) * matrix(w, length(x), length(w), byrow = TRUE)
  r <- r / rowSums(r)
  shrink <- outer(rep(1, length(x)), grid^2) / v        # sigma_k^2 / (s^2 + sigma_k^2)
  m <- x * shrink                                        # component posterior means
  sd2 <- outer(s^2, rep(1, length(grid))) * shrink       # and variances
  mean <- rowSums(r * m)
  sd <- sqrt(pmax(rowSums(r * (sd2 + m^2)) - mean^2, 0))
  neg <- ifelse(sd2 > 0, pnorm(0, m, sqrt(pmax(sd2, 1e-300))), 0)
  zero <- r[, grid == 0, drop = FALSE]
  lfdr <- if (ncol(zero)) rowSums(zero) else rep(0, length(x))
  negative <- rowSums(r * neg)
  positive <- pmax(1 - negative - lfdr, 0)
  lfsr <- pmin(negative + lfdr, positive + lfdr)
  list(mean = mean, sd = sd, lfdr = lfdr, lfsr = lfsr)
}

run <- switch(method,
  ash_nopenalty = function() {
    # ashr's own grid (autoselect.mixsd, gridmult sqrt(2)) with its point
    # mass at 0, no penalty on the null weight
    a <- ashr::ash(x, s, mixcompdist = "normal", prior = "uniform")
    list(sd = a$fitted_g$sd, pi = a$fitted_g$pi, pm = ashr::get_pm(a))
  },
  ash_default = function() {
    # ashr's defaults (method = "fdr": nullbiased prior, nullweight 10)
    a <- ashr::ash(x, s, mixcompdist = "normal")
    list(sd = a$fitted_g$sd, pi = a$fitted_g$pi, pm = ashr::get_pm(a))
  },
  ebnm = function() {
    e <- ebnm::ebnm_normal_scale_mixture(x, s, scale = grid)
    list(sd = e$fitted_g$sd, pi = e$fitted_g$pi, pm = e$posterior$mean)
  },
  mixsqp_posterior = function() {
    v <- outer(s^2, grid^2, `+`)
    logl <- -0.5 * (log(2 * pi * v) + x^2 / v)
    L <- exp(logl - apply(logl, 1, max))
    rm(v, logl)
    fit <- mixsqp::mixsqp(L, x0 = rep(1, K), control = list(verbose = FALSE))
    rm(L)
    w <- pmax(fit$x, 0)
    w <- w / sum(w)
    post <- posterior_by_hand(x, s, grid, w)
    list(sd = grid, pi = w, pm = post$mean)
  },
  stop("unknown method ", method)
)

gc()
start <- proc.time()
res <- run()
used <- proc.time() - start
elapsed <- used[["elapsed"]]
cpu <- used[["user.self"]] + used[["sys.self"]]
# ash chooses its own grid: K here is the length of the grid R used
writeBin(as.double(c(elapsed, cpu, length(res$pi), res$sd, res$pi, res$pm)), args[6])
