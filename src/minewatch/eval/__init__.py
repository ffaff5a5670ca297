"""Evaluation harness for the power (smart-meter) detectors.

- :mod:`.population` — a synthetic meter population with ground truth, every load from a real
  model (demandlib, richardsonpy) or real data (SGSC households), miners injected on top with the
  physics of mining hardware; register, truth and readings in the formats minewatch ingests.
- :mod:`.metrics` — precision/recall, ROC AUC, equal-alarm comparisons, onset error, and the
  baseline rule "any calendar month over N kWh" (pure numpy).
- :mod:`.bank` — the shipped load bank (``minewatch/data/load_bank.npz``) the population draws from, and
  how to rebuild it from the models.

Default population (``PopulationConfig``; every share configurable):

| category | share | tariff class | model / data |
|---|---|---|---|
| household_h0 | 20 % | residential | demandlib BDEW H0 (dynamic) × individual day/interval variation |
| household_richardson | 20 % | residential | richardsonpy stochastic household (16 simulated), days resampled |
| household_sgsc | 20 % | residential | real SGSC household (10), seasons shifted, days resampled |
| household_eheat | 3.5 % | residential | 煤改电: direct or night-storage electric heating (BDEW heat, weather) |
| household_heatpump | 3 % | residential | air-source heat pump, BDEW heat / COP(T) |
| household_ev | 4 % | residential | EV charging 3.3/7 kW at valley tariff (timer) or on arrival |
| shop | 12 % | commercial | BDEW G0–G6, refrigeration floor; 12 % are 24-h stores |
| internet_cafe | 2 % | commercial | PCs × occupancy from BDEW G2; 60 % open 24 h |
| cold_storage | 1.5 % | commercial/agricultural | compressor duty cycle around a flat, temperature-driven mean |
| server_room | 1 % | commercial/industrial | flat IT + cooling COP(T); 30 % step up 10–40 % once |
| industrial_shift | 3 % | industrial | demandlib IndustrialLoadProfile 1/2/3 shifts, Spring Festival closure |
| factory_24h | 1.5 % | industrial | flat 24-h process load, maintenance days, Spring Festival closure |
| farm | 4 % | agricultural | BDEW L0/L1/L2 |
| irrigation_pump | 4.5 % | agricultural | 5.5–45 kW motors in seasonal episodes; 30 % run 24 h |

Miners: 4 % of accounts host an owner (10 % of owners split over 2–3 meters → ~4.6 % of meters);
hosts: households 68 %, shops 12 %, cafés 6 %, farms 7 %, pumps 3 %, industry 5 %, cold/server 2 %.
Power log-uniform 0.3–100 kW per owner, as whole units (GPU rig 0.8–1.5 kW, S9 ≈1.4, S19 ≈3.25;
below 0.8 kW a GPU desktop); onset uniform in [14, days − 7]; hiding: none 55 %, throttled
(50–70 %) 15 %, daytime-only 8 %, night-only (valley tariff) 7 %, split 15 %. Meter faults:
12 % of accounts have 1–3 gaps (1 h – 21 d, missing rows; 25 % end in a catch-up reading),
2 % spikes, 0.5 % a reset (negative reading), 0.5 % duplicate rows.
"""
