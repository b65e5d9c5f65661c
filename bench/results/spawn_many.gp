set terminal svg size 800,450 dynamic noenhanced font 'sans,11'
set output 'spawn_many.svg'
set title 'spawn_many: ns per operation (lower is better), median'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'ns per operation (log scale)'
set grid ytics
set key top left
plot 'spawn_many.dat' using 2:xtic(1) title '1 worker' , 'spawn_many.dat' using 3:xtic(1) title '2 workers' , 'spawn_many.dat' using 4:xtic(1) title '4 workers'
