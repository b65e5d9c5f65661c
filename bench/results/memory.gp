set terminal svg size 700,400 dynamic noenhanced font 'sans,11'
set output 'memory.svg'
set title 'KiB of peak RSS per sleeping task (lower is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set grid ytics
plot 'memory.dat' using 2:xtic(1) title '100,000 tasks' , 'memory.dat' using 3:xtic(1) title '1,000,000 tasks'
