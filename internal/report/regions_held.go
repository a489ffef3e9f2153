package report

// writeHeldRegions writes the ended record's regions to regions.bed and regions.tsv
// with the record's call and tier. Regions are held until then (memory: the regions
// of one record, a small fraction of its chunk count).
func (rr *RunReport) writeHeldRegions(r *RecordSummary) error {
	call, tier := r.Call()
	for _, reg := range rr.heldRegions {
		reg.RecordCall, reg.RecordTier = call, tier
		if err := rr.regions.Write(reg); err != nil {
			return rr.fail(RegionsTSVFile, err)
		}
	}
	rr.heldRegions = rr.heldRegions[:0]
	return nil
}
