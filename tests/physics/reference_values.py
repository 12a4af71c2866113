#!/usr/bin/env python3
"""Independent reference values for the physics unit tests (tests/physics/test_*.cpp).

Every function below re-derives a quantity directly from the equations of
docs/model.md (section given in each docstring), written from the document,
not from any implementation. Run `python3 reference_values.py` to print the numbers that are pasted
into the C++ tests (17 significant digits). Requires numpy.
"""
import math

import numpy as np

PI = 3.14159  # the literal used by the sun and leaf-angle code (section 0, P17)


def f17(x):
    return "%.17g" % x


# ---------------------------------------------------------------- 2.1 thermodynamics
def es(T):
    return 100.0 * math.exp(54.8781919 - 6790.4985 / T - 5.02808 * math.log(T))


def lam(T):
    return 3149000.0 - 2370.0 * T + (333.0 if T < 273.0 else 0.0)


def desdt(T):
    return es(T) * lam(T) * 18.0 / (8314.0 * T * T)


def d2esdt2(T):
    return -2.0 * es(T) * lam(T) * 18.0 / (8314.0 * T ** 3) + desdt(T) * lam(T) * 18.0 / (8314.0 * T * T)


# ---------------------------------------------------------------- 2.2 sun angle
def sun_sin_beta(lat, lon, tz, doy, hour):
    delta = -23.45 * PI / 180.0 * math.cos(2.0 * PI * (doy + 10.0) / 365.0)
    f = PI * (279.5 + 0.9856 * doy) / 180.0
    et = (-104.7 * math.sin(f) + 596.2 * math.sin(2 * f) + 4.3 * math.sin(3 * f) - 12.7 * math.sin(4 * f)
          - 429.3 * math.cos(f) - 2.0 * math.cos(2 * f) + 19.3 * math.cos(3 * f)) / 3600.0
    lc = (lon - 15.0 * tz) * 4.0 / 60.0
    t0 = 12.0 - lc - et
    omega = PI * (hour - t0) / 12.0
    phi = lat * PI / 180.0
    s = math.sin(phi) * math.sin(delta) + math.cos(phi) * math.cos(delta) * math.cos(omega)
    if abs(s) <= 0.01:
        s = math.copysign(0.01, s) if s != 0 else 0.0
    return s


def section_sun():
    print("## 2.2 sun")
    for doy, hour in [(183, 12.5), (183, 5.0), (15, 9.25), (300, 16.0)]:
        print("US-Bi1 doy %g hour %g sin_beta = %s" % (doy, hour, f17(sun_sin_beta(38.0991538, -121.49933, -8, doy, hour))))
    print("lat -33.9 lon 151.2 tz 10 doy 10 hour 12: %s" % f17(sun_sin_beta(-33.9, 151.2, 10, 10, 12.0)))


# ---------------------------------------------------------------- 2.4 leaf angles
def leaf_pdf(t, x):
    c = 2.0 / PI
    return [c * (1 - math.cos(2 * x)), math.sin(x), c * (1 + math.cos(2 * x)), c * (1 - math.cos(4 * x)),
            c * (1 + math.cos(4 * x)), c][t] if t <= 5 else math.sin(x)


def classes():
    return [PI / 200.0 + k * PI / 100.0 for k in range(50)]


def projection(theta, xl):
    """A(theta, theta_L), two-branch form of section 2.4."""
    p = (1.0 / math.tan(theta)) * (1.0 / math.tan(xl))
    if abs(p) > 1.0:
        return math.cos(theta) * math.cos(xl) * (1.0 if p > 0 else -1.0)
    psi = math.acos(p)
    return math.cos(theta) * math.cos(xl) * (1.0 + 2.0 / PI * (math.tan(psi) - psi))


def gfun(theta, t):
    xs = classes()
    fx = [projection(theta, x) * leaf_pdf(t, x) for x in xs]
    return sum(0.5 * (fx[k] + fx[k - 1]) * (xs[k] - xs[k - 1]) for k in range(1, 50))


def tau_d(dl_clumped, t):
    xs = classes()
    return 2.0 * (PI / 100.0) * sum(math.exp(-dl_clumped * gfun(x, t) / math.cos(x)) * math.cos(x) * math.sin(x)
                                   for x in xs)


def section_leaf_angle():
    print("## 2.4 leaf angle")
    for t in range(6):
        for th in [0.3, 1.0, 1.4]:
            print("G(theta=%g, type %d) = %s" % (th, t, f17(gfun(th, t))))
    for t in [0, 1, 4]:
        for L in [0.0, 0.5, 2.0]:
            print("tau_d(Omega dL=%g, type %d) = %s" % (L, t, f17(tau_d(L, t))))
    # trapezoid integral of each pdf over the 50 classes
    xs = classes()
    for t in range(6):
        f = [leaf_pdf(t, x) for x in xs]
        print("trapz pdf type %d = %s" % (t, f17(sum(0.5 * (f[k] + f[k - 1]) * (xs[k] - xs[k - 1]) for k in range(1, 50)))))
    # exact diffuse transmissivity for G = 1/2: 2 int_0^1 exp(-L/(2 mu)) mu dmu = 2 E3(L/2)
    for L in [0.5, 2.0]:
        mu = np.linspace(0.0, 1.0, 2000001)[1:]
        y = np.exp(-0.5 * L / mu) * mu
        print("2 E3(%g/2) = %s" % (L, f17(2.0 * np.trapezoid(np.concatenate([[0.0], y]), np.concatenate([[0.0], mu])))))


# ---------------------------------------------------------------- 2.5 direct/diffuse partition
def partition(sinb, rg, parin, pkpa):
    S0, fnir, fvis = 1360.8, 0.517, 0.383
    ru = max(pkpa / (101.3 * sinb), 0.0)
    rdv = S0 * fvis * math.exp(-0.185 * ru) * sinb
    rsv = 0.4 * (S0 * fvis * sinb - rdv)
    wa = 0.077 * S0 * (2 * ru) ** 0.3
    rdn = (S0 * fnir * math.exp(-0.06 * ru) - wa) * sinb
    rsn = 0.6 * (S0 * fnir - rdv / sinb - wa) * sinb
    rvt = max(rdv + rsv, 0.1)
    rit = max(rdn + rsn, 0.1)
    r = min(max(rg / (rvt + rit), 0.22), 0.89)
    nir = rg - parin / 4.6
    fvb = min(max(rdv / rvt * (1 - ((0.9 - r) / 0.70) ** 0.67), 0.0), 1.0)
    fnb = min(max(rdn / rit * (1 - ((0.9 - r) / 0.68) ** 0.67), 0.0), 1.0)
    pb = max(fvb * parin, 0.0)
    nb = max(fnb * nir, 0.0)
    return r, pb, parin - pb, nb, nir - nb


def section_partition():
    print("## 2.5 partition")
    for sinb, rg, pkpa in [(0.6, 500.0, 101.3), (0.3, 150.0, 100.35), (0.9, 950.0, 86.0)]:
        print("sinb %g rg %g P %g -> ratrad, par_beam, par_diff, nir_beam, nir_diff =" % (sinb, rg, pkpa),
              ", ".join(f17(v) for v in partition(sinb, rg, 2.3 * rg, pkpa)))


# ---------------------------------------------------------------- 2.6 PAR/NIR transfer
def shortwave(J, sinb, g, dL, omega, taud, ib, idf, rho, tau, rhos, sweeps):
    I = ib + idf
    fb = 0.0 if I == 0 else ib / max(I, 0.01)
    e = [math.exp(-g / sinb * omega * dL) for _ in range(J)] + [1.0]
    P = [math.prod(e[l:]) for l in range(J + 1)]
    psun = [min(omega * P[j], 1.0) for j in range(J)] + [1.0]
    R = (1 - taud) * rho
    Tt = taud + (1 - taud) * tau
    b = [I * fb * P[j + 1] * (1 - e[j]) for j in range(J)]
    U = [0.0] * (J + 1)
    D = [0.0] * (J + 1)
    for _ in range(sweeps):
        Uold = list(U)
        D[J] = (1 - fb) * I
        for j in range(J - 1, -1, -1):
            D[j] = D[j + 1] * Tt + Uold[j] * R + tau * b[j]
            U[j + 1] = Uold[j] * Tt + D[j + 1] * R + rho * b[j]
        U[0] = (D[0] + I * fb * P[0]) * rhos
    B = [I * fb * P[l] for l in range(J + 1)]
    alpha = 1 - rho - tau
    qsh = [alpha * (D[j] + U[j]) for j in range(J)]
    qsun = [alpha * max(B[J] * g / sinb, 0.0) + qsh[j] for j in range(J)]
    return psun, B, U, D, qsun, qsh


def section_shortwave():
    print("## 2.6 shortwave (J=3, sinb 0.5, G 0.52, dL 0.7, Omega 0.95, tau_d 0.55, in 800/200, "
          "rho .1 tau .05 soil .15)")
    for sweeps in [1, 3]:
        out = shortwave(3, 0.5, 0.52, 0.7, 0.95, 0.55, 800.0, 200.0, 0.1, 0.05, 0.15, sweeps)
        print("sweeps", sweeps)
        for name, v in zip(["prob_beam", "beam", "up", "down", "sun_abs", "shade_abs"], out):
            print("  %s = {%s}" % (name, ", ".join(f17(x) for x in v)))


# ---------------------------------------------------------------- 2.7 longwave
SIGMA = 5.670367e-8


def sky_ir(T, r):
    return SIGMA * T ** 4 * ((1 - 0.261 * math.exp(-7.77e-4 * (273.16 - T) ** 2)) * r + 1 - r)


def longwave(J, sweeps, sky, psun, tsun, tsh, taud, ep, eps, tsoil, down0, up0):
    E = [ep * SIGMA * (psun[j] * tsun[j] ** 4 + (1 - psun[j]) * tsh[j] ** 4) for j in range(J)]
    sc = (1 - ep) / 2
    F = taud + (1 - taud) * sc
    Bk = (1 - taud) * sc
    s = [E[j] * (1 - taud) for j in range(J)]
    D = list(down0)
    U = list(up0)
    D[J] = sky
    U[J] = sky
    for _ in range(sweeps):
        for j in range(J - 1, -1, -1):
            D[j] = D[j + 1] * F + U[j] * Bk + s[j]
        U[0] = (1 - eps) * D[0] + eps * SIGMA * tsoil ** 4
        for j in range(J):
            U[j + 1] = U[j] * F + D[j + 1] * Bk + s[j]
    return D, U


def section_longwave():
    print("## 2.7 longwave")
    for T, r in [(293.15, 0.6), (273.16, 1.0), (303.15, 0.22)]:
        print("sky_ir(%g, %g) = %s" % (T, r, f17(sky_ir(T, r))))
    sky = sky_ir(293.15, 0.6)
    args = (3, None, sky, [0.2, 0.45, 0.8], [296.0, 297.5, 299.0], [293.5, 294.0, 294.5], 0.6, 0.95, 0.9, 291.0)
    for sw in [1, 50]:
        D, U = longwave(args[0], sw, *args[2:], [sky] * 4, [sky] * 4)
        print("sweeps %d down = {%s}" % (sw, ", ".join(f17(x) for x in D)))
        print("sweeps %d up = {%s}" % (sw, ", ".join(f17(x) for x in U)))


# ---------------------------------------------------------------- 2.10 boundary layer
DEFAULT = dict(vcopt=171.0, jmopt=259.0, hkin=200000.0, ejm=55000.0, evc=55000.0, kc25=274.6, ko25=419.8,
               o2=210.0, ekc=80500.0, erd=38000.0, tk_25=298.16, toptvc=303.0, toptjm=303.0, kball=8.17,
               bprime=0.05, qalpha=0.22, rugc=8.314, lleaf=0.04, nuvisc=13.27, dc=13.81, dh=18.69, dv=21.78,
               betfac=1.5, ep=0.98, Cp=1005.0, Mair=28.97, epsoil=0.98)


def boundary(tl, ta, u, pkpa, p=DEFAULT):
    l = p["lleaf"]
    scale = 101.3 / pkpa * (ta / 273.16) ** 1.81
    gr = 9.8 * l ** 3 / (p["nuvisc"] * 1e-6) ** 2 * max(tl - ta, 0.0) / ta
    re = l * u / (p["nuvisc"] * 1e-6 * scale)
    nf = 0.036 * re ** 0.8 * p["betfac"] if re > 14000 else 0.66 * re ** 0.5 * p["betfac"]
    if gr / re ** 2 > 1:
        n = 0.5 * gr ** 0.25 if gr < 1e5 else 0.13 * gr ** 0.33
    else:
        n = nf
    out = []
    for d in ["dh", "dv", "dc"]:
        sh = n * (p["nuvisc"] / p[d]) ** 0.33
        out.append(l / (p[d] * 1e-6 * scale * sh))
    return out, re, gr


def section_boundary():
    print("## 2.10 boundary layer")
    for tl, ta, u, pk in [(295.0, 293.15, 2.0, 101.3), (293.15, 293.15, 8.0, 100.0), (298.15, 293.15, 0.01, 101.3),
                          (305.15, 293.15, 0.01, 101.3)]:
        (rh, rv, rc), re, gr = boundary(tl, ta, u, pk)
        print("TL %g Ta %g u %g P %g: Re %s Gr %s rbh %s rbv %s rbc %s" % (tl, ta, u, pk, f17(re), f17(gr), f17(rh), f17(rv), f17(rc)))


# ---------------------------------------------------------------- 2.11 photosynthesis
def arr(k25, E, TL, p=DEFAULT):
    return k25 * math.exp((TL - p["tk_25"]) * E / (p["tk_25"] * p["rugc"] * TL))


def tb(kopt, E, To, TL, p=DEFAULT):
    R, Hd = p["rugc"], p["hkin"]
    x = (TL - To) / (R * To * TL)
    return kopt * Hd * math.exp(E * x) / (Hd - E * (1 - math.exp(Hd * x)))


def specificity(tc):
    num = 0.0785 - 2.89e-3 * tc + 54.7e-6 * tc ** 2 - 0.417e-6 * tc ** 3
    den = 2.1e-3 - 57.1e-6 * tc + 1.024e-6 * tc ** 2 - 7.503e-9 * tc ** 3
    return 102.0 * num / den


def leaf_ps(I, ca, TL, rbc, pkpa, rh, amphi, p=DEFAULT):
    kappa = 101.3 * 0.022624 / (273.15 * pkpa)
    Kc = arr(p["kc25"], p["ekc"], TL, p)
    bc = Kc * (1 + 101.3 * p["o2"] / (100.0 * p["ko25"]))
    gam = 500.0 * p["o2"] / specificity(TL - 273.15)
    Rd = arr(0.004657 * p["vcopt"], p["erd"], TL, p) * (0.4 if I > 10 else 1.0)
    Jmax = tb(p["jmopt"], p["ejm"], p["toptjm"], TL, p)
    Vc = tb(p["vcopt"], p["evc"], p["toptvc"], TL, p)
    gb = 1.0 / (rbc * TL * kappa)
    kp = p["kball"] * rh / 1.6
    bc16 = p["bprime"] / 1.6
    if not amphi:
        al, be, ga, th = 1 + bc16 / gb - kp, ca * (gb * kp - 2 * bc16 - gb), ca * ca * gb * bc16, gb * kp - bc16
    else:
        al, be, ga, th = (1 + bc16 / gb - kp, ca * (2 * gb * kp - 3 * bc16 - 2 * gb), 4 * ca * ca * gb * bc16,
                          2 * gb * kp - 2 * bc16)
    Jp = p["qalpha"] * I / math.sqrt(1 + p["qalpha"] ** 2 * I ** 2 / Jmax ** 2)
    ci0 = 0.7 * ca
    wj = Jp * (ci0 - gam) / (4 * ci0 + 8 * gam)
    wc = Vc * (ci0 - gam) / (ci0 + bc)
    a, B, E = (Jp, 8 * gam, 4.0) if wj < wc else (Vc, bc, 1.0)
    D = E * al
    pc = (E * be + B * th - a * al + E * Rd * al) / D
    qc = (E * ga + B * ga / ca - a * be + a * gam * th + E * Rd * be + Rd * B * th) / D
    rc = (-a * ga + a * gam * ga / ca + E * Rd * ga + Rd * B * ga / ca) / D
    Q = (pc * pc - 3 * qc) / 9
    Rr = (2 * pc ** 3 - 9 * pc * qc + 27 * rc) / 54
    if Q ** 3 - Rr ** 2 > 0:
        phi = math.acos(min(max(Rr / math.sqrt(max(Q ** 3, 0.01)), -0.99), 0.99))
        sq = math.sqrt(max(Q, 0.01))
        roots = sorted(-2 * sq * math.cos((phi + k) / 3) - pc / 3 for k in (0.0, 2 * 3.1415926, -2 * 3.1415926))
    else:
        roots = [0.0, 0.0, 0.0]
    lo, mid, hi = roots
    if lo > 0 and mid > 0 and hi > 0:
        x = lo
    elif lo < 0 and mid < 0 and hi > 0:
        x = hi
    elif lo < 0 and mid > 0 and hi > 0:
        x = mid
    elif lo < 0 and mid < 0 and hi < 0:
        x = hi
    else:
        x = lo
    An = x - Rd
    Js = Vc / 2 - Rd
    An = min(An, Js)
    cs = ca - An / (2 * gb) if amphi else ca - An / gb
    rhc = min(rh, 1.0)
    gs = p["kball"] * rhc * An / cs + p["bprime"]
    gsc = gs / 1.6
    ci = cs - An / gsc
    gsms = gs * TL * kappa
    wj = Jp * (ci - gam) / (4 * ci + 8 * gam)
    wc = Vc * (ci - gam) / (ci + bc)
    wp = min(np.roots([0.98, -(wj + wc), wj * wc]).real)
    Aps = min(np.roots([0.95, -(wp + Js), wp * Js]).real)
    branch = "cubic"
    if 0 < Aps < An:
        An = Aps - Rd
        gs = p["kball"] * rhc * An / cs + p["bprime"]
        gsms = gs * TL * kappa
        branch = "colimitation"
    if wj <= Rd or wc <= Rd:
        branch = "quadratic"
        gs = p["bprime"]
        gsc = gs / 1.6
        gsms = gs * TL * kappa
        psi1 = ca * gb * gsc
        d1 = gsc + gb
        dd = gb * gsc
        Aq = d1 * E
        Bq = -psi1 * E - a * d1 + E * Rd * d1 - B * dd
        Cq = a * psi1 - a * gam * dd - E * Rd * psi1 - Rd * B * dd
        An = (-Bq - math.sqrt(max(Bq * Bq - 4 * Aq * Cq, 0.0))) / (2 * Aq)
        ci = (ca - An / gb) - An / gsc
    return dict(An=An, gs=gsms, Rd=Rd, ci=ci, rh=rhc, branch=branch, Vc=Vc, Jmax=Jmax, gamma=gam, Js=Js)


def section_photosynthesis():
    print("## 2.11 photosynthesis")
    print("arr(274.6, 80500, 303.15) = %s" % f17(arr(274.6, 80500.0, 303.15)))
    print("tb(171, 55000, 303, 290) = %s, tb(.., 310) = %s" % (f17(tb(171.0, 55000.0, 303.0, 290.0)),
                                                              f17(tb(171.0, 55000.0, 303.0, 310.0))))
    print("tau(25 C) = %s, Gamma* = %s" % (f17(specificity(25.0)), f17(500 * 210 / specificity(25.0))))
    cases = [(1500.0, 400.0, 298.15, 60.0, 101.3, 0.7, False), (1500.0, 400.0, 298.15, 60.0, 101.3, 0.7, True),
             (300.0, 420.0, 293.15, 40.0, 100.35, 0.55, False), (300.0, 420.0, 293.15, 40.0, 100.35, 0.55, True),
             (0.0, 400.0, 290.15, 80.0, 101.3, 0.8, False), (50.0, 380.0, 308.15, 120.0, 99.0, 1.1, True),
             (2000.0, 400.0, 318.15, 30.0, 101.3, 0.3, False), (300.0, 400.0, 293.15, 50.0, 101.3, 0.3, False),
             (8.0, 400.0, 288.15, 50.0, 101.3, 0.6, False)]
    for c in cases:
        r = leaf_ps(*c)
        print("case %s: An %s gs %s Rd %s ci %s rh %s [%s] Vc %s" % (c, f17(r["An"]), f17(r["gs"]), f17(r["Rd"]),
                                                                   f17(r["ci"]), f17(r["rh"]), r["branch"], f17(r["Vc"])))


# ---------------------------------------------------------------- 2.12 leaf energy balance
def leaf_energy(Q, rbh, rbv, gs, Ta, ea, pkpa, amphi, p=DEFAULT):
    gw = 2.0 / (rbv + 2.0 / gs) if amphi else 1.0 / (rbv + 1.0 / gs)
    s, s2, lm = desdt(Ta), d2esdt2(Ta), lam(Ta)
    ep_sig = p["ep"] * SIGMA
    La = ep_sig * Ta ** 4
    vpd = min(max(es(Ta) - ea, 0.0), 5000.0)
    rho = pkpa * p["Mair"] / (p["rugc"] * Ta)
    cE = 0.622 * rho * lm * gw / (pkpa * 1000.0)
    cH = rho * p["Cp"] / rbh
    Rep = 2 * cH + 8 * ep_sig * Ta ** 3
    if not amphi:
        a = cE * s2 / (4 * Rep)
        b = -Rep - cE * s + a * (4 * La - 2 * Q)
        c = a * (Q - 2 * La) ** 2 + cE * (vpd * Rep + s * (Q - 2 * La))
    else:
        a = cE * s2 / (2 * Rep)
        b = -Rep - cE * s - 2 * a * Q / Rep + 4 * a * La / Rep
        c = Rep * cE * vpd + cE * s * (Q - 2 * La) + cE * s2 / (2 * Rep) * (Q - 2 * La) ** 2
    LE = (-b - math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a)
    aT = 12 * ep_sig * Ta ** 2 + 0.5 * s2 * cE
    bT = 8 * ep_sig * Ta ** 3 + 2 * cH + cE * s
    cT = -Q + 2 * La + cE * vpd
    disc = bT * bT - 4 * aT * cT
    dT = (-bT + math.sqrt(disc)) / (2 * aT) if disc >= 0 else 0.0
    TL = Ta + dT
    H = 2 * cH * dT
    rnet = Q - 2 * ep_sig * TL ** 4
    return dict(LE=LE, H=H, TL=TL, rnet=rnet, vpd=vpd, closure=rnet - H - LE)


def section_leaf_energy():
    print("## 2.12 leaf energy")
    for args in [(900.0, 30.0, 27.0, 0.008, 298.15, 1800.0, 101.3, False),
                 (900.0, 30.0, 27.0, 0.008, 298.15, 1800.0, 101.3, True),
                 (650.0, 80.0, 72.0, 0.002, 288.15, 1200.0, 100.0, False),
                 (1100.0, 15.0, 13.5, 0.015, 308.15, 2000.0, 99.0, True)]:
        r = leaf_energy(*args)
        print(args, {k: f17(v) for k, v in r.items()})


# ---------------------------------------------------------------- 2.13 soil energy balance
def soil_props(depth, theta, Tref, pkpa, dt):
    dz = [depth * 2 ** (m + 1) / 2046.0 for m in range(10)]
    fp = 1 - 1.06 / 2.65
    fo = 0.08
    fm = 1 - fp - fo
    fa = fp - theta
    rho = pkpa * 28.97 / (8.314 * Tref)
    rhom = 1000 * rho / 28.97
    fw = 1 / (1 + (theta / 0.15) ** -4)
    Kair = 0.024 + 44100 * 2.42e-5 * fw * rhom * desdt(Tref) / (pkpa * 1000)
    kf = Kair + fw * (0.25 - Kair)

    def w(K):
        return 2 / (3 * (1 + 0.2 * (K / kf - 1))) + 1 / (3 * (1 + 0.6 * (K / kf - 1)))

    Ks = (fm * w(2.5) * 2.5 + fa * w(Kair) * Kair + theta * w(0.25) * 0.25 + fo * w(0.8) * 2.5) / (
        fm * w(2.5) + fa * w(Kair) + theta * w(0.25) + fo * w(0.8))
    C = rho * fa * 1065 + 1000 * 4180 * theta + 1300 * 1920 * fo + 2650 * 870 * fm
    z = np.concatenate([[0.0], np.cumsum(dz)])
    d2z = [dz[0]] + [z[m + 1] - z[m - 1] for m in range(1, 10)]
    gamma = [C * d2z[m] / (2 * dt) for m in range(10)]
    k = [Ks / dz[m] for m in range(10)]
    rsoil = 3e10 * (0.395 - theta / 10) ** 16.6
    return dict(dz=dz, z=z, K=Ks, C=C, gamma=gamma, k=k, rsoil=rsoil, Kair=Kair, rho=rho)


def soil_surface(props, Qs, Gc, storage, T0, e0, T1, us, z1, Tprev, Lold, rho, pkpa, p=DEFAULT):
    Ra = math.log(z1 / 0.02) ** 2 / (0.16 * us)
    xi = max(5 * 9.8 * z1 * (Tprev - T1) / (T1 * us * us), -1e5)
    phi = min(max((1 + xi) ** (-0.75 if xi > 0 else -2.0), 0.1), 5.0)
    Rh = min(max(Ra * phi, 25.0), 1000.0)
    kc = p["Cp"] * rho / Rh
    kv = 1 / (Rh + props["rsoil"])
    s, s2, lm = desdt(T0), d2esdt2(T0), lam(T0)
    vpd = es(T0) - e0
    cE = 0.622 * rho * lm * kv / (pkpa * 1000)
    Rep = kc + 4 * p["epsoil"] * SIGMA * T0 ** 3
    G = Gc + storage
    X = Qs - Lold - G
    a = cE * s2 / (2 * Rep)
    b = -Rep - cE * s - 2 * a * X
    c = Rep * cE * vpd + cE * s * X + a * X * X
    LE = (-b - math.sqrt(max(b * b - 4 * a * c, 10.0))) / (2 * a)
    aT = 6 * p["epsoil"] * SIGMA * T0 ** 2 + 0.5 * s2 * cE
    bT = 4 * p["epsoil"] * SIGMA * T0 ** 3 + kc + cE * s
    cT = -Qs + Lold + Gc + cE * vpd
    disc = bT * bT - 4 * aT * cT
    dT = (-bT + math.sqrt(max(disc, 0))) / (2 * aT) if disc > 0 else 0.0
    Ts = T1 + dT
    return dict(LE=LE, H=kc * dT, Ts=Ts, rnet=Qs - p["epsoil"] * SIGMA * Ts ** 4, G=G, Rh=Rh)


def section_soil():
    print("## 2.13 soil")
    pr = soil_props(0.15, 0.25, 293.15, 101.3, 20.0)
    print("dz mm", [round(1000 * x, 4) for x in pr["dz"]], "z mm", [round(1000 * x, 4) for x in pr["z"]])
    for key in ["K", "C", "rsoil", "Kair"]:
        print("theta .25 T 293.15 P 101.3:", key, f17(pr[key]))
    print("gamma0 %s gamma5 %s k0 %s k9 %s" % (f17(pr["gamma"][0]), f17(pr["gamma"][5]), f17(pr["k"][0]), f17(pr["k"][9])))
    pr2 = soil_props(0.15, 0.05, 303.15, 95.0, 20.0)
    print("theta .05 T 303.15 P 95: K %s C %s rsoil %s" % (f17(pr2["K"]), f17(pr2["C"]), f17(pr2["rsoil"])))
    Lold = 0.98 * SIGMA * 293.15 ** 4
    # (Qs, Gc, storage, T0, e0, T1, u_s, z1, T_prev): stable (xi > 0), unstable (xi < 0), R_h clipped at 25
    for args in [(450.0, 60.0, 5.0, 294.0, 1500.0, 293.6, 0.8, 1.0, 295.0),
                 (450.0, 60.0, 5.0, 294.0, 1500.0, 293.6, 0.8, 1.0, 292.0),
                 (300.0, -20.0, 0.0, 288.0, 1000.0, 288.2, 0.6, 0.032, 289.0),
                 # calm (R_h = 1000) with a strongly negative Q_s - L_old - G: LE discriminant < 10
                 # (floored at 10) and a negative T_s discriminant (Delta T_s = 0)
                 (10.0, 150.0, 0.0, 291.0, 500.0, 291.5, 0.1, 1.0, 291.464)]:
        rho = pr["rho"]
        r = soil_surface(pr, *args, Lold, rho, 101.3)
        print(args, {k: f17(v) for k, v in r.items()})


# ---------------------------------------------------------------- 2.14 soil respiration
def alfalfa(ps, rd, Tk, theta, h):
    b1 = [-1.51316616076344, 0.673139978230031, -59.2947930385706, -3.33294857624960]
    b2 = [1.38034307225825, 3.73823712105636, 59.9066980644239, 1.36701108005293]
    b3 = [2.14475255616910, 19.9136298988773, 0.000987230986585085, 0.0569682453563841]
    x = [ps + rd, Tk, theta, h]
    phi = sum(b1[i] + b2[i] * x[i] / (b3[i] + x[i]) for i in range(4))
    return 4.846927939437475 + 2.22166756601498 * phi - 0.0281417120818586 * phi ** 2 - rd


def section_soil_resp():
    print("## 2.14 soil respiration")
    for args in [(15.0, 1.2, 295.15, 0.3, 0.8), (0.0, 0.0, 288.15, 0.1, 0.5), (-2.0, 0.8, 301.0, 0.45, 1.0)]:
        print("alfalfa%s = %s" % (args, f17(alfalfa(*args))))
    print("q10 (5, 1.7, 0.8) at 298.15 K swc .3 = %s" % f17(5.0 * 1.7 ** ((298.15 - 273.15 - 10) / 10) * 0.3 ** 0.8))


# ---------------------------------------------------------------- 2.15-2.16 profiles
def section_profiles():
    print("## 2.16 profiles (N=5, J=2)")
    D = np.array([[3.0, 1.5], [2.0, 1.8], [1.0, 1.2], [0.4, 0.5], [0.1, 0.05]])
    S = np.array([120.0, 300.0])
    dz = np.array([0.4, 0.4])
    ustar, zl, Fsoil, fu, cref = 0.35, -0.4, 40.0, 1.2 * 1005.0, 293.15
    stab = 0.973 * 0.7182 / (0.7182 - zl) if zl < 0 else 1 - 0.31 * zl
    ct = (D @ (S * dz)) * stab / ustar / fu + Fsoil * D[:, 0] / ustar / fu
    c = ct + cref - ct[-1]
    print("stab = %s; c = {%s}" % (f17(stab), ", ".join(f17(x) for x in c)))


# ---------------------------------------------------------------- 3 dense network
def section_dense():
    print("## 3 dense net 2-6-6-1")
    w0 = np.array([[0.5, -0.3], [0.1, 0.8], [-0.6, 0.2], [0.3, 0.3], [-0.2, -0.7], [0.9, -0.1]])
    b0 = np.array([0.1, -0.2, 0.05, 0.0, 0.3, -0.1])
    w1 = np.array([[0.2 * ((i + 2 * j) % 5) - 0.4 for j in range(6)] for i in range(6)])
    b1 = np.array([0.01 * (i - 2) for i in range(6)])
    w2 = np.array([[0.7, -0.5, 0.3, 0.2, -0.4, 0.6]])
    b2 = np.array([0.25])
    x = np.array([0.7, -1.3])
    h1 = np.tanh(w0 @ x + b0)
    h2 = np.tanh(w1 @ h1 + b1)
    z = (w2 @ h2 + b2)[0]
    print("pre-activation output z = %s; sigmoid = %s; tanh = %s; softplus = %s" % (
        f17(z), f17(1 / (1 + math.exp(-z))), f17(math.tanh(z)), f17(math.log1p(math.exp(z)))))
    h1s = np.log1p(np.exp(w0 @ x + b0))
    h2s = np.log1p(np.exp(w1 @ h1s + b1))
    zs = (w2 @ h2s + b2)[0]
    print("softplus hidden and output: %s" % f17(math.log1p(math.exp(zs))))


if __name__ == "__main__":
    print("## 2.1 thermo: es(273.16) = %s, des_dt(300) = %s, d2es_dt2(300) = %s" % (
        f17(es(273.16)), f17(desdt(300.0)), f17(d2esdt2(300.0))))
    section_sun()
    section_leaf_angle()
    section_partition()
    section_shortwave()
    section_longwave()
    section_boundary()
    section_photosynthesis()
    section_leaf_energy()
    section_soil()
    section_soil_resp()
    section_profiles()
    section_dense()
